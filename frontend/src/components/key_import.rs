use callvault_shared::api::{ImportPrivateKey, ImportPublicKey, KeyChainAction, NewKey};
use callvault_shared::crypto::RustCrypto;
use callvault_shared::keys::{KeyFile, import_key};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;
use crate::components::tenant_key::TenantKey;
use crate::hooks::Reload;

/// Imports a key file: a private key with its passphrase (the holder gets the first grant),
/// or a public key alone (tenant-held).
#[component]
pub fn KeyImport(tenant: Memo<String>, signer: TenantKey, reload: Reload) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let (passphrase, set_passphrase) = signal(String::new());
    let import = reload.action_then(
        move |passphrase: &String| {
            let (tenant, passphrase) = (tenant.get_untracked(), passphrase.clone());
            async move {
                let bytes = files::read_chosen(file, "Choose the key file to import.").await?;
                let pem = String::from_utf8(bytes).map_err(|_| {
                    ApiError::local(
                        "That is not a PEM key file: choose a file that begins with -----BEGIN.",
                    )
                })?;
                let key = if pem.contains("PUBLIC KEY") {
                    let Ok(KeyFile::Public(public)) =
                        import_key::<RustCrypto>(pem.as_bytes(), None)
                    else {
                        return Err(ApiError::local("That public key file does not open."));
                    };
                    let fingerprint = public.fingerprint().to_hex();
                    let signed = signer
                        .sign_if_held(&tenant, KeyChainAction::AddKey, Some(&fingerprint))
                        .await?;
                    let key = NewKey::ImportPublic(ImportPublicKey {
                        public_key_pem: pem,
                    });
                    return api::create_key(&tenant, &key, signed.as_ref()).await;
                } else {
                    NewKey::ImportPrivate(ImportPrivateKey {
                        private_key_pem: pem,
                        passphrase: (!passphrase.is_empty()).then_some(passphrase),
                        grant_to: None,
                    })
                };
                api::create_key(&tenant, &key, None).await
            }
        },
        move |_| set_passphrase.set(String::new()),
    );
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
