use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;

/// The action of the certificates the expiry job writes.
const EXPIRED: &str = "recording.expired";
/// Certificates shown; the export has them all.
const SHOWN: u32 = 100;

/// A field of a certificate's details as text.
fn detail(details: &serde_json::Value, name: &str) -> String {
    match &details[name] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The deletion certificates of recordings the policy expired, newest first, and the JSON
/// Lines export an auditor takes away (each line is in the audit log's hash chain).
#[component]
pub fn DeletionLog(tenant: Memo<String>) -> impl IntoView {
    let certificates = LocalResource::new(move || {
        let tenant = tenant.get();
        async move {
            let query = [("action", EXPIRED.to_owned()), ("limit", SHOWN.to_string())];
            api::audit(&tenant, &query).await
        }
    });
    let export = move || api::audit_export_url(&tenant.get(), &[("action", EXPIRED.to_owned())]);

    view! {
        <section class="part" aria-labelledby="deletions-title">
            <h2 id="deletions-title">"Deletion log"</h2>
            <p>"Each recording the policy deleted has a certificate in the audit log: its SHA-256 and size, the days it was kept, and when it went. A sealed recording's bytes cannot be recovered once its object is gone."</p>
            <p><a id="export-deletions" href=export download="deletion-certificates.jsonl">"Export the certificates (JSON Lines)"</a></p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || certificates.get().map(|result| match result {
                    Ok(page) if page.events.is_empty() => view! { <p id="no-deletions" class="empty">"The policy has deleted nothing yet."</p> }.into_any(),
                    Ok(page) => view! {
                        <table id="deletions" class="cards-on-phone">
                            <thead><tr><th>"Deleted (UTC)"</th><th>"Recording"</th><th>"SHA-256"</th><th>"Size"</th><th>"Kept (days)"</th></tr></thead>
                            <tbody>
                                {page.events.into_iter().map(|event| {
                                    let details = match &event.details {
                                        serde_json::Value::String(text) => serde_json::from_str(text).unwrap_or_default(),
                                        other => other.clone(),
                                    };
                                    let sha256 = detail(&details, "sha256");
                                    view! {
                                        <tr>
                                            <td data-label="Deleted (UTC)">{event.at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            <td data-label="Recording"><code>{event.object_id.unwrap_or_default()}</code></td>
                                            <td data-label="SHA-256"><code title=sha256.clone()>{sha256.chars().take(16).collect::<String>()}"…"</code></td>
                                            <td data-label="Size">{format!("{} bytes", detail(&details, "size_bytes"))}</td>
                                            <td data-label="Kept (days)">{detail(&details, "keep_days")}</td>
                                        </tr>
                                    }
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
