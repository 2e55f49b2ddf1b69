use callvault_shared::api::{ImportPublicKey, KeyChainAction, MIN_EXPORT_PASSPHRASE, NewKey};
use callvault_shared::crypto::{RsaBits, RustCrypto};
use callvault_shared::keys::RsaPrivateKey;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;
use crate::components::tenant_key::{TenantKey, sign};
use crate::hooks::Reload;

/// What a rotation did, to say so.
#[derive(Clone)]
struct Rotated {
    new: String,
    old: String,
}

/// Rotates a tenant that holds its own keys to a new key pair made here: the current key
/// signs the new one in and makes it active, the new one retires the old. The new private key
/// is offered as a file to save; the server gets its public half and three signed statements.
#[component]
pub fn KeyRotation(tenant: Memo<String>, signer: TenantKey, reload: Reload) -> impl IntoView {
    let (bits, set_bits) = signal(3072usize);
    let (passphrase, set_passphrase) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let rotate = reload.action(move |(bits, passphrase): &(usize, String)| {
        let (tenant, bits, passphrase) = (tenant.get_untracked(), *bits, passphrase.clone());
        async move {
            if passphrase.chars().count() < MIN_EXPORT_PASSPHRASE {
                return Err(ApiError::local(format!(
                    "The new key file's passphrase needs at least {MIN_EXPORT_PASSPHRASE} characters."
                )));
            }
            let old = signer.open().await?;
            let old_fingerprint = old.fingerprint().to_hex();
            let old_id = api::keys(&tenant)
                .await?
                .into_iter()
                .find(|key| key.fingerprint == old_fingerprint)
                .map(|key| key.id.to_string())
                .ok_or_else(|| ApiError::local("Your key file is not one of this tenant's keys."))?;
            files::yield_to_paint().await;
            let size = RsaBits::from_bits(bits).map_err(|error| ApiError::local(error.to_string()))?;
            let new = RsaPrivateKey::<RustCrypto>::generate(size)
                .map_err(|error| ApiError::local(error.to_string()))?;
            let new_fingerprint = new.fingerprint().to_hex();
            let pem = new
                .to_encrypted_pem(passphrase.as_bytes())
                .map_err(|error| ApiError::local(error.to_string()))?;
            files::save(
                pem.as_bytes(),
                &format!("callvault-tenant-key-{}.pem", &new_fingerprint[..16]),
                "application/x-pem-file",
            )
            .map_err(ApiError::local)?;

            let add = sign(&tenant, KeyChainAction::AddKey, Some(&new_fingerprint), &old).await?;
            let public_key_pem = new.public_key().to_pem();
            let added = api::create_key(&tenant, &NewKey::ImportPublic(ImportPublicKey { public_key_pem }), Some(&add)).await?;
            let added_id = added.id.to_string();
            let activate =
                sign(&tenant, KeyChainAction::ActivateKey, Some(&new_fingerprint), &old).await?;
            api::key_action(&tenant, &added_id, "activate", Some(&activate)).await?;
            let retire =
                sign(&tenant, KeyChainAction::RetireKey, Some(&old_fingerprint), &new).await?;
            api::key_action(&tenant, &old_id, "retire", Some(&retire)).await?;
            Ok(Rotated {
                new: new_fingerprint[..16].to_owned(),
                old: old_fingerprint[..16].to_owned(),
            })
        }
    });
    let mismatch = move || passphrase.get() != again.get();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !mismatch() {
            rotate.dispatch((bits.get_untracked(), passphrase.get_untracked()));
        }
    };
    view! {
        <form id="rotate-key" class="form" on:submit=on_submit>
            <h2>"Rotate to a new key pair"</h2>
            <p>"A new key pair is made in this browser. Your current key file (above) signs it in and makes it the one new recordings are sealed to; the new key then retires the current one, which still opens what it sealed. Keep both files."</p>
            <label for="rotate-bits">"Size"</label>
            <select id="rotate-bits" on:change=move |event| {
                if let Ok(bits) = event_target_value(&event).parse() { set_bits.set(bits) }
            }>
                <option value="2048">"RSA 2048"</option>
                <option value="3072" selected>"RSA 3072 (recommended; takes a while)"</option>
            </select>
            <label for="rotate-passphrase">{format!("Passphrase for the new key file (at least {MIN_EXPORT_PASSPHRASE} characters)")}</label>
            <input id="rotate-passphrase" type="password" autocomplete="new-password" prop:value=passphrase
                on:input=move |event| set_passphrase.set(event_target_value(&event)) />
            <label for="rotate-again">"The same passphrase again"</label>
            <input id="rotate-again" type="password" autocomplete="new-password" prop:value=again
                on:input=move |event| set_again.set(event_target_value(&event)) />
            <Show when=move || !again.get().is_empty() && mismatch()>
                <p class="error" role="alert">"The two passphrases differ."</p>
            </Show>
            <button type="submit" disabled=rotate.pending()>"Make the new key pair and rotate"</button>
            <Show when=move || rotate.pending().get()>
                <p role="status"><progress aria-label="Rotating"></progress>" Making the key pair and signing the change…"</p>
            </Show>
            {move || rotate.value().get().map(|result| match result {
                Ok(rotated) => view! { <p role="status" id="rotate-done">{format!("Rotated: new recordings are sealed to {}; {} is retired and still opens what it sealed.", rotated.new, rotated.old)}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
