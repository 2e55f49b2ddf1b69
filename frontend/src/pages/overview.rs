use callvault_shared::api::{
    EncryptionSettings, EncryptionUpdate, KeyChainAction, KeyMode, Permission,
};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::badge::KeyModeBadge;
use crate::components::confirm::ConfirmButton;
use crate::components::problem::Problem;
use crate::components::tenant_key::{TenantKey, TenantKeyFile};
use crate::components::tenant_nav::tenant_param;
use crate::hooks::Reload;
use crate::session::{tenant_title, use_session};

/// A tenant's encryption at a glance: the original product's four steps, each with its state
/// and the way to it.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let tenant = tenant_param();
    let session = use_session();
    let reload = Reload::new();
    let settings = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::encryption(&tenant).await }
    });
    let held = Signal::derive(move || {
        settings
            .get()
            .and_then(Result::ok)
            .is_some_and(|settings| settings.mode == KeyMode::TenantHeld)
    });
    let signer = TenantKey::new(held);
    let switch = reload.action(move |enabled: &bool| {
        let (tenant, enabled) = (tenant.get_untracked(), *enabled);
        async move {
            let signed = if enabled {
                None
            } else {
                signer
                    .sign_if_held(&tenant, KeyChainAction::EncryptionOff, None)
                    .await?
            };
            let update = EncryptionUpdate {
                enabled: Some(enabled),
                mode: None,
            };
            api::set_encryption(&tenant, &update, signed.as_ref()).await
        }
    });
    let switch_mode = reload.action(move |mode: &KeyMode| {
        let (tenant, mode) = (tenant.get_untracked(), *mode);
        async move {
            let signed = if mode == KeyMode::ProviderHeld {
                signer
                    .sign_if_held(&tenant, KeyChainAction::ProviderHeld, None)
                    .await?
            } else {
                None
            };
            let update = EncryptionUpdate {
                enabled: None,
                mode: Some(mode),
            };
            api::set_encryption(&tenant, &update, signed.as_ref()).await
        }
    });

    let manage = move || session.can(Permission::KeysManage);
    let steps = move |settings: EncryptionSettings| {
        let tenant = tenant.get();
        let tenant_held = settings.mode == KeyMode::TenantHeld;
        let sealing = settings.sealing.map(|job| view! {
            <p id="sealing" role="status">{format!(
                "Sealing the recordings stored in plaintext to the tenant's key: {} of {} done.",
                job.done, job.total
            )}</p>
        });
        let list = settings.checklist;
        let keys = format!("/t/{tenant}/keys");
        let step = |id: &'static str,
                    done: Option<bool>,
                    text: &'static str,
                    link: Option<(String, &'static str)>| {
            let (class, state) = match done {
                Some(true) => ("step done", "Done"),
                Some(false) => ("step", "To do"),
                None => ("step not-needed", "Not needed"),
            };
            view! {
                <li id=id class=class>
                    <span class="state">{state}</span>
                    " " {text} " "
                    {link.map(|(href, action)| view! { <A href=href>{action}</A> })}
                </li>
            }
        };
        // A tenant that holds its own keys exports nothing from the server and grants
        // nobody: its key file is with it, and playback happens in its browser.
        let (key_step, export_step, grant_step) = if tenant_held {
            (
                step(
                    "step-key",
                    Some(list.key_present),
                    "1. A public key of the tenant is on the server (made in the browser, or imported).",
                    Some((keys.clone(), "Keys")),
                ),
                step(
                    "step-export",
                    None,
                    "2. Export: the private key file is yours already, the server never had it.",
                    None,
                ),
                step(
                    "step-grant",
                    None,
                    "3. Grants: recordings are played in the browser with your key file.",
                    None,
                ),
            )
        } else {
            (
                step(
                    "step-key",
                    Some(list.key_present),
                    "1. An encryption key is created or imported.",
                    Some((keys.clone(), "Keys")),
                ),
                step(
                    "step-export",
                    Some(list.key_exported),
                    "2. The key is exported for safekeeping.",
                    Some((keys.clone(), "Export it")),
                ),
                step(
                    "step-grant",
                    Some(list.grants_present),
                    "3. The key is granted to whoever plays recordings.",
                    Some((keys.clone(), "Grants")),
                ),
            )
        };
        let enabled = settings.enabled;
        view! {
            <p class="mode-line"><KeyModeBadge mode=settings.mode /></p>
            <ol class="checklist" aria-label="Encryption check-list">
                {key_step}
                {export_step}
                {grant_step}
                <li id="step-encryption" class=if list.encryption_on { "step done" } else { "step" }>
                    <span class="state">{if list.encryption_on { "Done" } else { "To do" }}</span>
                    " 4. Encryption is on: every new recording is sealed. "
                    <Show when=manage>
                        {if enabled {
                            view! {
                                <ConfirmButton label="Switch encryption off" class="secondary" aria_label="Switch encryption off"
                                    title="Switch encryption off?"
                                    consequence="Recordings uploaded from now on are stored in plaintext: anyone with access to the storage can listen to them. Recordings already sealed stay sealed."
                                    confirm="Switch off" on_confirm=move || { switch.dispatch(false); } />
                            }.into_any()
                        } else {
                            view! {
                                <button id="toggle-encryption" type="button" disabled=switch.pending()
                                    on:click=move |_| { switch.dispatch(true); }>"Switch encryption on"</button>
                            }.into_any()
                        }}
                    </Show>
                </li>
            </ol>
            {sealing}
            <h2>"Who holds the keys"</h2>
            <p id="key-mode">{if tenant_held {
                "The tenant holds its own keys. The server has public keys only: it seals recordings and can never open them, and nobody at the provider can listen. Playback happens in your browser with your key file. Changes that lower protection need your key's signature."
            } else {
                "The provider holds the keys, sealed for the users they are granted to: granted users play recordings in the browser straight from the server."
            }}</p>
            <Show when=manage>
                {if tenant_held {
                    view! {
                        <ConfirmButton label="Let the provider hold keys" class="secondary toggle-mode"
                            title="Let the provider hold keys again?"
                            consequence="The server may hold private keys from now on, so provider staff with access could come to play new recordings. The chain of signed key changes ends here, and needs your key file's signature."
                            confirm="Let the provider hold keys" on_confirm=move || { switch_mode.dispatch(KeyMode::ProviderHeld); } />
                    }.into_any()
                } else {
                    view! {
                        <ConfirmButton label="Hold our own keys" class="secondary toggle-mode"
                            title="Hold your own keys?"
                            consequence="From now on the server keeps public keys only, and nobody at the provider can listen to new recordings. Playback needs your private key file in the browser: lose it and its passphrase, and those recordings are lost. Lowering this protection later needs the key's signature."
                            confirm="Hold our own keys" on_confirm=move || { switch_mode.dispatch(KeyMode::TenantHeld); } />
                    }.into_any()
                }}
            </Show>
        }
    };

    let title = tenant_title("Encryption");
    view! {
        <section class="panel" aria-labelledby="overview-title">
            <h1 id="overview-title">{title}</h1>
            <Show when=manage>
                <TenantKeyFile key=signer />
            </Show>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => steps(settings).into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            {move || switch.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            {move || switch_mode.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
        </section>
    }
}
