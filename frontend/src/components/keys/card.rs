use callvault_shared::api::{EncryptionKey, KeyChainAction, KeyOrigin, KeyState, User};
use leptos::prelude::*;

use super::{ExportForm, GrantForm, HolderList};
use crate::api;
use crate::components::problem::Problem;
use crate::components::tenant_key::TenantKey;
use crate::hooks::Reload;

/// One key: what it is, who holds it, and what can be done with it.
#[component]
pub fn KeyCard(
    tenant: String,
    key: EncryptionKey,
    users: Vec<User>,
    signer: TenantKey,
    reload: Reload,
) -> impl IntoView {
    let short = key.fingerprint[..16].to_owned();
    let id = key.id.to_string();
    let act = {
        let (tenant, id, fingerprint) = (tenant.clone(), id.clone(), key.fingerprint.clone());
        reload.action(move |action: &&'static str| {
            let (tenant, id, action) = (tenant.clone(), id.clone(), *action);
            let fingerprint = fingerprint.clone();
            async move {
                let change = if action == "activate" {
                    KeyChainAction::ActivateKey
                } else {
                    KeyChainAction::RetireKey
                };
                let signed = signer
                    .sign_if_held(&tenant, change, Some(&fingerprint))
                    .await?;
                api::key_action(&tenant, &id, action, signed.as_ref()).await
            }
        })
    };
    let private = key.origin != KeyOrigin::PublicOnly;
    let usable = key.state == KeyState::Active;
    let card_id = format!("key-{short}");
    view! {
        <article class="key" id=card_id>
            <h2><code class="fingerprint">{key.fingerprint.clone()}</code></h2>
            <p>
                {format!("RSA {} · {:?} · {:?}{}", key.bits, key.origin, key.state, if key.active { " · seals new recordings" } else { "" })}
            </p>
            <HolderList tenant=tenant.clone() key_id=id.clone() holders=key.holders.clone() reload />
            <Show when=move || usable && !key.active>
                <button type="button" class="activate" on:click=move |_| { act.dispatch("activate"); }>"Make active"</button>
            </Show>
            <Show when=move || usable>
                <button type="button" class="secondary retire" on:click=move |_| { act.dispatch("retire"); }>"Retire"</button>
            </Show>
            {move || act.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            <Show when=move || private && usable>
                <ExportForm tenant=tenant.clone() key_id=id.clone() short=short.clone() />
                <GrantForm tenant=tenant.clone() key_id=id.clone() users=users.clone() reload />
            </Show>
        </article>
    }
}
