use callvault_shared::api::NewKey;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, files};
use crate::components::problem::Problem;

/// Imports a key file: a private key with its passphrase (the holder gets the first grant),
/// or a public key alone (tenant-held).
#[component]
pub fn KeyImport(tenant: Memo<String>, reload: RwSignal<u32>) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let (passphrase, set_passphrase) = signal(String::new());
    let import = Action::new_local(move |passphrase: &String| {
        let (tenant, passphrase) = (tenant.get_untracked(), passphrase.clone());
        let chosen = file
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|list| list.get(0));
        async move {
            let chosen =
                chosen.ok_or_else(|| api::ApiError::Network("choose a key file".into()))?;
            let pem = files::read_text(&chosen)
                .await
                .map_err(api::ApiError::Network)?;
            let key = if pem.contains("PUBLIC KEY") {
                NewKey::ImportPublic {
                    public_key_pem: pem,
                }
            } else {
                NewKey::ImportPrivate {
                    private_key_pem: pem,
                    passphrase: (!passphrase.is_empty()).then_some(passphrase),
                    grant_to: None,
                }
            };
            api::create_key(&tenant, &key).await
        }
    });
    Effect::new(move |_| {
        if import.value().get().is_some_and(|result| result.is_ok()) {
            set_passphrase.set(String::new());
            reload.update(|n| *n += 1);
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        import.dispatch(passphrase.get_untracked());
    };
    view! {
        <form id="import-key" class="form" on:submit=on_submit>
            <h2>"Import a key file"</h2>
            <label for="key-file">"Key file (PEM: a private key, or a public key alone)"</label>
            <input id="key-file" type="file" accept=".pem,.key,.pub" node_ref=file />
            <label for="key-passphrase">"Its passphrase (for an encrypted private key)"</label>
            <input id="key-passphrase" type="password" autocomplete="off" prop:value=passphrase
                on:input=move |event| set_passphrase.set(event_target_value(&event)) />
            <button type="submit" disabled=import.pending()>
                {move || if import.pending().get() { "Importing…" } else { "Import key" }}
            </button>
            {move || import.value().get().map(|result| match result {
                Ok(key) => view! { <p role="status" id="key-imported">{format!("Imported {}.", &key.fingerprint[..16])}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
