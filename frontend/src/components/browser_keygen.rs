use callvault_shared::api::{ImportPublicKey, KeyChainAction, MIN_EXPORT_PASSPHRASE, NewKey};
use callvault_shared::crypto::{RsaBits, RustCrypto};
use callvault_shared::keys::RsaPrivateKey;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;
use crate::components::tenant_key::TenantKey;
use crate::hooks::Reload;

/// A tenant-held key pair made here, in the browser: the private half is offered as an
/// encrypted PKCS#8 file to save, and only the public half goes to the server.
#[component]
pub fn BrowserKeygen(tenant: Memo<String>, signer: TenantKey, reload: Reload) -> impl IntoView {
    let (bits, set_bits) = signal(3072usize);
    let (passphrase, set_passphrase) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let generate = reload.action(move |(bits, passphrase): &(usize, String)| {
        let (tenant, bits, passphrase) = (tenant.get_untracked(), *bits, passphrase.clone());
        async move {
            if passphrase.chars().count() < MIN_EXPORT_PASSPHRASE {
                return Err(ApiError::local(format!(
                    "The passphrase needs at least {MIN_EXPORT_PASSPHRASE} characters."
                )));
            }
            files::yield_to_paint().await;
            let size =
                RsaBits::from_bits(bits).map_err(|error| ApiError::local(error.to_string()))?;
            let key = RsaPrivateKey::<RustCrypto>::generate(size)
                .map_err(|error| ApiError::local(error.to_string()))?;
            let pem = key
                .to_encrypted_pem(passphrase.as_bytes())
                .map_err(|error| ApiError::local(error.to_string()))?;
            let fingerprint = key.fingerprint().to_hex();
            files::save(
                pem.as_bytes(),
                &format!("callvault-tenant-key-{}.pem", &fingerprint[..16]),
                "application/x-pem-file",
            )
            .map_err(ApiError::local)?;
            let signed = signer
                .sign_if_held(&tenant, KeyChainAction::AddKey, Some(&fingerprint))
                .await?;
            api::create_key(
                &tenant,
                &NewKey::ImportPublic(ImportPublicKey {
                    public_key_pem: key.public_key().to_pem(),
                }),
                signed.as_ref(),
            )
            .await
        }
    });
    let mismatch = move || passphrase.get() != again.get();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !mismatch() {
            generate.dispatch((bits.get_untracked(), passphrase.get_untracked()));
        }
    };
    view! {
        <form id="browser-keygen" class="form" on:submit=on_submit>
            <h2>"Generate a key pair in this browser"</h2>
            <p>"For a tenant that holds its own keys: the private key never leaves this computer. Save the file and keep its passphrase; without them nobody can play these recordings."</p>
            <label for="browser-key-bits">"Size"</label>
            <select id="browser-key-bits" on:change=move |event| {
                if let Ok(bits) = event_target_value(&event).parse() { set_bits.set(bits) }
            }>
                <option value="2048">"RSA 2048"</option>
                <option value="3072" selected>"RSA 3072 (recommended; takes a while)"</option>
            </select>
            <label for="browser-key-passphrase">{format!("Passphrase for the key file (at least {MIN_EXPORT_PASSPHRASE} characters)")}</label>
            <input id="browser-key-passphrase" type="password" autocomplete="new-password" prop:value=passphrase
                on:input=move |event| set_passphrase.set(event_target_value(&event)) />
            <label for="browser-key-again">"The same passphrase again"</label>
            <input id="browser-key-again" type="password" autocomplete="new-password" prop:value=again
                on:input=move |event| set_again.set(event_target_value(&event)) />
            <Show when=move || !again.get().is_empty() && mismatch()>
                <p class="error" role="alert">"The two passphrases differ."</p>
            </Show>
            <button type="submit" disabled=generate.pending()>"Generate and save the key file"</button>
            <Show when=move || generate.pending().get()>
                <p role="status"><progress aria-label="Generating the key pair"></progress>" Generating the key pair…"</p>
            </Show>
            {move || generate.value().get().map(|result| match result {
                Ok(key) => view! { <p role="status" id="browser-key-done">{format!("Saved the private key file; the server has the public key {}.", &key.fingerprint[..16])}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
