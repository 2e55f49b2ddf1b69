use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;

/// What a hold keeps today, loaded when its list is opened.
#[component]
pub fn HeldRecordingList(tenant: Memo<String>, hold: String) -> impl IntoView {
    let held = LocalResource::new(move || {
        let (tenant, hold) = (tenant.get(), hold.clone());
        async move { api::held_recordings(&tenant, &hold).await }
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || held.get().map(|result| match result {
                Ok(held) if held.total == 0 => view! { <p class="empty">"No recording fits it today."</p> }.into_any(),
                Ok(held) => {
                    let shown = held.recordings.len() as u64;
                    view! {
                        <p class="held-count">{format!("{} {}{}", held.total,
                            if held.total == 1 { "recording" } else { "recordings" },
                            if shown < held.total { format!(", the newest {shown} shown") } else { String::new() })}</p>
                        <table class="held-recordings cards-on-phone">
                            <thead><tr><th>"Started (UTC)"</th><th>"Caller"</th><th>"Callee"</th><th>"Agent"</th><th>"Tags"</th><th>"Id"</th></tr></thead>
                            <tbody>
                                {held.recordings.into_iter().map(|recording| view! {
                                    <tr>
                                        <td data-label="Started (UTC)">{recording.started_at.unwrap_or(recording.created_at).format("%Y-%m-%d %H:%M").to_string()}</td>
                                        <td data-label="Caller">{recording.caller.unwrap_or_default()}</td>
                                        <td data-label="Callee">{recording.callee.unwrap_or_default()}</td>
                                        <td data-label="Agent">{recording.agent.unwrap_or_default()}</td>
                                        <td data-label="Tags">{recording.tags.join(", ")}</td>
                                        <td data-label="Id"><code>{recording.id.to_string()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </Suspense>
    }
}
