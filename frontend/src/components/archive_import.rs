use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::problem::Problem;

/// Imports a sealed archive (a bulk download or a backup of another instance).
#[component]
pub fn ArchiveImport(tenant: Memo<String>, reload: RwSignal<u32>) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let import = Action::new_local(move |_: &()| {
        let tenant = tenant.get_untracked();
        let chosen = file
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|list| list.get(0));
        async move {
            let chosen =
                chosen.ok_or_else(|| api::ApiError::Network("choose an archive".into()))?;
            api::import_recordings(&tenant, &chosen).await
        }
    });
    Effect::new(move |_| {
        if import.value().get().is_some_and(|result| result.is_ok()) {
            reload.update(|n| *n += 1);
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
