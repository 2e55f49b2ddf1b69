//! The tenant's own key file, in a tenant that holds its own keys: changes that lower
//! protection are signed with it in this page (RustCrypto, in WebAssembly). The key and its
//! passphrase never leave the page; only the statement and the signature are sent.

use callvault_shared::api::{KeyChainAction, StatementRequest};
use callvault_shared::crypto::RustCrypto;
use callvault_shared::key_chain::{SignedStatement, Statement};
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use leptos::html::Input;
use leptos::prelude::*;

use crate::api::{self, ApiError, files};

/// The key file chosen on the page, and whether the tenant holds its own keys at all.
#[derive(Clone, Copy)]
pub struct TenantKey {
    file: NodeRef<Input>,
    passphrase: RwSignal<String>,
    held: Signal<bool>,
}

impl TenantKey {
    pub fn new(held: Signal<bool>) -> Self {
        Self {
            file: NodeRef::new(),
            passphrase: RwSignal::new(String::new()),
            held,
        }
    }

    /// The tenant's private key, opened from the chosen file.
    pub async fn open(&self) -> Result<RsaPrivateKey<RustCrypto>, ApiError> {
        let pem =
            files::read_chosen(self.file, "Choose your key file, to sign the change.").await?;
        files::yield_to_paint().await;
        let passphrase = self.passphrase.get_untracked();
        match import_key::<RustCrypto>(
            &pem,
            (!passphrase.is_empty()).then_some(passphrase.as_bytes()),
        ) {
            Ok(KeyFile::Private(key)) => Ok(key),
            Ok(KeyFile::Public(_)) => Err(ApiError::local(
                "That is a public key: signing needs your private key file.",
            )),
            Err(error) => Err(ApiError::local(format!(
                "Your key file does not open: {error}."
            ))),
        }
    }

    /// The change signed with the chosen key file, when the tenant holds its own keys and a
    /// file is chosen. Without one the change goes unsigned, and the server says why it
    /// refuses it.
    pub async fn sign_if_held(
        &self,
        tenant: &str,
        action: KeyChainAction,
        fingerprint: Option<&str>,
    ) -> Result<Option<SignedStatement>, ApiError> {
        let chosen = files::chosen(self.file, "").is_ok();
        if !self.held.get_untracked() || !chosen {
            return Ok(None);
        }
        let key = self.open().await?;
        sign(tenant, action, fingerprint, &key).await.map(Some)
    }
}

/// Asks the server for a statement of `action` on `fingerprint` (the signing key's own for a
/// settings change), checks that it says exactly that, and signs it with `key`.
pub async fn sign(
    tenant: &str,
    action: KeyChainAction,
    fingerprint: Option<&str>,
    key: &RsaPrivateKey<RustCrypto>,
) -> Result<SignedStatement, ApiError> {
    let own = key.fingerprint().to_hex();
    let fingerprint = fingerprint.unwrap_or(&own).to_owned();
    let request = StatementRequest {
        action,
        key_fingerprint: fingerprint.clone(),
    };
    let issued = api::statement(tenant, &request).await?;
    // A server that asks to sign something else than what was asked gets no signature.
    let statement = Statement::parse(&issued.statement)
        .ok()
        .filter(|statement| statement.action == action && statement.key.to_hex() == fingerprint)
        .ok_or_else(|| {
            ApiError::local("The server sent a statement for another change: nothing was signed.")
        })?;
    files::yield_to_paint().await;
    statement
        .sign(key)
        .map_err(|error| ApiError::local(error.to_string()))
}

/// Where the person chooses their key file and types its passphrase. On a phone it folds away
/// behind its title, so that the keys come first.
#[component]
pub fn TenantKeyFile(key: TenantKey) -> impl IntoView {
    view! {
        <Show when=move || key.held.get()>
            <details class="fold" open=crate::components::layout::wide_screen()>
            <summary class="button-like">"Your key file"</summary>
            <fieldset id="tenant-key" class="form">
                <legend>"Your key file"</legend>
                <p>"This tenant holds its own keys: adding, activating, retiring or destroying a key, switching encryption off or back to provider-held keys needs your signature. It is made here, with your key file; the key never leaves this page."</p>
                <label for="signing-key-file">"Your current private key file"</label>
                <input id="signing-key-file" type="file" accept=".pem,.key" node_ref=key.file />
                <label for="signing-key-passphrase">"Its passphrase"</label>
                <input id="signing-key-passphrase" type="password" autocomplete="off" prop:value=key.passphrase
                    on:input=move |event| key.passphrase.set(event_target_value(&event)) />
            </fieldset>
            </details>
        </Show>
    }
}
