use callvault_shared::api::{EncryptionKey, KeyChainAction, KeyOrigin, KeyState, Permission, User};
use leptos::prelude::*;

use super::{ExportForm, GrantForm, HolderList};
use crate::api::{self, ApiError};
use crate::components::badge::{KeyStateBadge, origin_label, short_fingerprint};
use crate::components::confirm::ConfirmButton;
use crate::components::copy_button::CopyButton;
use crate::components::problem::Problem;
use crate::components::tenant_key::TenantKey;
use crate::hooks::Reload;
use crate::session::use_session;

/// What can be done to a key's life.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    Activate,
    Retire,
    Destroy,
}

/// One key: what it is, who holds it, and what the signed-in user's role may do with it.
#[component]
pub fn KeyCard(
    tenant: String,
    key: EncryptionKey,
    users: Vec<User>,
    signer: TenantKey,
    reload: Reload,
) -> impl IntoView {
    let session = use_session();
    let manage = move || session.can(Permission::KeysManage);
    let short = short_fingerprint(&key.fingerprint);
    let typed = key.fingerprint[..16].to_owned();
    let export_name = typed.clone();
    let id = key.id.to_string();
    let act = {
        let (tenant, id, fingerprint) = (tenant.clone(), id.clone(), key.fingerprint.clone());
        reload.action(move |change: &Change| {
            let (tenant, id, change) = (tenant.clone(), id.clone(), *change);
            let fingerprint = fingerprint.clone();
            async move {
                let action = match change {
                    Change::Activate => KeyChainAction::ActivateKey,
                    Change::Retire => KeyChainAction::RetireKey,
                    Change::Destroy => KeyChainAction::DestroyKey,
                };
                let signed = signer
                    .sign_if_held(&tenant, action, Some(&fingerprint))
                    .await?;
                match change {
                    Change::Activate => {
                        api::key_action(&tenant, &id, "activate", signed.as_ref()).await?;
                        Ok::<_, ApiError>(
                            "Activated: new recordings are sealed with this key.".to_owned(),
                        )
                    }
                    Change::Retire => {
                        api::key_action(&tenant, &id, "retire", signed.as_ref()).await?;
                        Ok("Retired: it opens what it sealed and never seals again.".to_owned())
                    }
                    Change::Destroy => {
                        let done = api::destroy_key(&tenant, &id, signed.as_ref()).await?;
                        Ok(format!(
                            "Destroyed: {} grants removed, {} recordings unrecoverable here.",
                            done.grants_removed, done.recordings_unrecoverable
                        ))
                    }
                }
            }
        })
    };
    let private = key.origin != KeyOrigin::PublicOnly;
    let usable = key.state == KeyState::Active;
    let alive = key.state != KeyState::Destroyed;
    let active = key.active;
    let recordings = key.recordings;
    let holders = key
        .holders
        .iter()
        .map(|holder| holder.username.clone())
        .collect::<Vec<_>>();
    let who = if holders.is_empty() {
        "nobody on this server".to_owned()
    } else {
        holders.join(", ")
    };
    let retire_consequence = format!(
        "It never seals again, and this cannot be undone. Its {recordings} recordings stay playable by {who}."
    );
    let destroy_consequence = format!(
        "Every grant on it is deleted. The {recordings} recordings sealed with it become unrecoverable on this server: only an exported key file could still open them. This cannot be undone."
    );
    let card_id = format!("key-{}", &key.fingerprint[..16]);
    let fingerprint = key.fingerprint.clone();
    view! {
        <article class="key" id=card_id>
            <header class="key-head">
                <h2>"Key "<code class="fingerprint" title=fingerprint.clone()>{short.clone()}</code></h2>
                <CopyButton text=fingerprint.clone() what="the full fingerprint" />
                <KeyStateBadge state=key.state active=key.active />
            </header>
            <p class="key-facts">
                {format!("RSA {} · {} · {} recording{} · created {}",
                    key.bits, origin_label(key.origin), recordings,
                    if recordings == 1 { "" } else { "s" },
                    key.created_at.format("%Y-%m-%d"))}
            </p>
            <details class="full-fingerprint">
                <summary>"Full fingerprint"</summary>
                <code>{fingerprint}</code>
            </details>
            <HolderList tenant=tenant.clone() key_id=id.clone() holders=key.holders.clone()
                recordings revocable=usable && private reload />
            <Show when=move || manage() && alive>
                <div class="key-actions" role="group" aria-label="Change this key">
                    {(usable && !active).then(|| view! {
                        <ConfirmButton label="Make active" class="activate"
                            title="Make this key the active one?"
                            consequence="Every recording uploaded from now on is sealed with this key, and only its holders can play those. Recordings already stored keep their keys."
                            confirm="Make active" on_confirm=move || { act.dispatch(Change::Activate); } />
                    })}
                    {usable.then(|| view! {
                        <ConfirmButton label="Retire" class="secondary retire"
                            title="Retire this key?"
                            consequence=retire_consequence.clone()
                            confirm="Retire" on_confirm=move || { act.dispatch(Change::Retire); } />
                    })}
                    <ConfirmButton label="Destroy…" class="danger destroy"
                        title="Destroy this key?"
                        consequence=destroy_consequence.clone()
                        confirm="Destroy the key" typed=typed.clone()
                        on_confirm=move || { act.dispatch(Change::Destroy); } />
                </div>
            </Show>
            {move || act.value().get().map(|result| match result {
                Ok(done) => view! { <p role="status" class="key-changed">{done}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            <Show when=move || manage() && private && usable>
                <div class="key-forms">
                    <ExportForm tenant=tenant.clone() key_id=id.clone() short=export_name.clone() />
                    <GrantForm tenant=tenant.clone() key_id=id.clone() users=users.clone() reload />
                </div>
            </Show>
        </article>
    }
}
