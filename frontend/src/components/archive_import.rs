use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, files};
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// Imports a sealed archive (a bulk download or a backup of another instance).
#[component]
pub fn ArchiveImport(tenant: Memo<String>, reload: Reload) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let sent = RwSignal::new(0.0);
    let import = reload.action(move |_: &()| {
        let tenant = tenant.get_untracked();
        // Sent as it is, not read into the page: an archive can be larger than memory allows.
        let chosen = files::chosen(file, "Choose the archive (.zip) to import.");
        sent.set(0.0);
        async move {
            api::import_recordings(&tenant, &chosen?, move |fraction| sent.set(fraction)).await
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        import.dispatch(());
    };
    view! {
        <form id="import-archive" class="form" on:submit=on_submit>
            <label for="archive-file">"Import an archive (.zip)"</label>
            <input id="archive-file" type="file" accept=".zip,application/zip" node_ref=file />
            <button type="submit" disabled=import.pending()>"Import archive"</button>
            <Show when=move || import.pending().get()>
                <p role="status">
                    <progress max="1" value=move || sent.get() aria-label="Sending the archive"></progress>
                    {move || if sent.get() < 1.0 {
                        format!(" Sending… {:.0} %", sent.get() * 100.0)
                    } else {
                        " Sent; the server is checking and storing the recordings…".to_owned()
                    }}
                </p>
            </Show>
            {move || import.value().get().map(|result| match result {
                Ok(outcome) => view! {
                    <p role="status" id="archive-imported">{format!(
                        "Imported {} recordings ({} were here already; {} past their retention were left out). They play once their key is here and granted.",
                        outcome.imported, outcome.already_present, outcome.skipped
                    )}</p>
                }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
