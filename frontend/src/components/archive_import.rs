use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, files};
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// Imports a sealed archive (a bulk download or a backup of another instance).
#[component]
pub fn ArchiveImport(tenant: Memo<String>, reload: Reload) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let import = reload.action(move |_: &()| {
        let tenant = tenant.get_untracked();
        // Sent as it is, not read into the page: an archive can be larger than memory allows.
        let chosen = files::chosen(file, "Choose the archive (.zip) to import.");
        async move { api::import_recordings(&tenant, &chosen?).await }
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
                <progress aria-label="Importing the archive"></progress>
            </Show>
            {move || import.value().get().map(|result| match result {
                Ok(outcome) => view! {
                    <p role="status" id="archive-imported">{format!(
                        "Imported {} recordings ({} were here already). They play once their key is here and granted.",
                        outcome.imported, outcome.already_present
                    )}</p>
                }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
