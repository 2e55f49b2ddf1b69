use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;
use crate::components::tenant_nav::{TenantNav, tenant_param};

/// A tenant's audit log, newest first, and the verdict on its hash chain.
#[component]
pub fn AuditPage() -> impl IntoView {
    let tenant = tenant_param();
    let (action, set_action) = signal(String::new());
    let events = LocalResource::new(move || {
        let tenant = tenant.get();
        let mut query = vec![("limit", "100".to_owned())];
        if !action.get().is_empty() {
            query.push(("action", action.get()));
        }
        async move { api::audit(&tenant, &query).await }
    });
    let verify = Action::new_local(move |_: &()| {
        let tenant = tenant.get_untracked();
        async move { api::verify_audit(&tenant).await }
    });
    view! {
        <section class="panel" aria-labelledby="audit-title">
            <h1 id="audit-title">{move || format!("Audit log of {}", tenant.get())}</h1>
            <TenantNav tenant=tenant.get_untracked() />
            <div class="toolbar">
                <label for="audit-action">"Action"</label>
                <input id="audit-action" placeholder="auth.login" on:change=move |event| set_action.set(event_target_value(&event)) />
                <button id="verify-chain" type="button" on:click=move |_| { verify.dispatch(()); }>"Verify the chain"</button>
                {move || verify.value().get().map(|result| match result {
                    Ok(verdict) if verdict.intact => view! { <p role="status">{format!("Intact: {} records checked.", verdict.records_checked)}</p> }.into_any(),
                    Ok(verdict) => view! { <p class="error" role="alert">{format!("Tampered with: {}", verdict.problems.iter().map(|p| format!("#{} {}", p.seq, p.problem)).collect::<Vec<_>>().join("; "))}</p> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </div>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(page) => view! {
                        <table id="audit">
                            <thead><tr><th>"#"</th><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Outcome"</th><th>"From"</th></tr></thead>
                            <tbody>
                                {page.events.into_iter().map(|event| view! {
                                    <tr>
                                        <td>{event.seq}</td>
                                        <td>{event.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                        <td>{event.actor}</td>
                                        <td>{event.action}</td>
                                        <td>{format!("{:?}", event.outcome)}</td>
                                        <td>{event.origin}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
