use callvault_shared::api::{EncryptionSettings, EncryptionUpdate, KeyChainAction, KeyMode};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::problem::Problem;
use crate::components::tenant_key::{TenantKey, TenantKeyFile};
use crate::components::tenant_nav::{TenantNav, tenant_param};
use crate::hooks::Reload;

/// A tenant's encryption at a glance: the original product's four steps, each with its state
/// and the way to it.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let tenant = tenant_param();
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
                    done: bool,
                    text: &'static str,
                    link: String,
                    action: &'static str| {
            view! {
                <li id=id class=if done { "step done" } else { "step" }>
                    <span class="state">{if done { "Done" } else { "To do" }}</span>
                    " " {text} " "
                    <A href=link>{action}</A>
                </li>
            }
        };
        view! {
            <ol class="checklist" aria-label="Encryption check-list">
                {step("step-key", list.key_present, "1. An encryption key is created or imported.", keys.clone(), "Keys")}
                {step("step-export", list.key_exported, "2. The key is exported for safekeeping.", keys.clone(), "Export it")}
                {step("step-grant", list.grants_present, "3. The key is granted to whoever plays recordings.", keys, "Grants")}
                <li id="step-encryption" class=if list.encryption_on { "step done" } else { "step" }>
                    <span class="state">{if list.encryption_on { "Done" } else { "To do" }}</span>
                    " 4. Encryption is on: every new recording is sealed. "
                    <button id="toggle-encryption" type="button" disabled=switch.pending()
                        on:click=move |_| { switch.dispatch(!settings.enabled); }>
                        {if settings.enabled { "Switch encryption off" } else { "Switch encryption on" }}
                    </button>
                </li>
            </ol>
            {sealing}
            <p id="key-mode">{format!("Keys are held by {}.", if tenant_held { "the tenant itself (the server has public keys only)" } else { "the provider, as grants to users" })}</p>
            <button id="toggle-mode" type="button" class="secondary" disabled=switch_mode.pending()
                on:click=move |_| { switch_mode.dispatch(if tenant_held { KeyMode::ProviderHeld } else { KeyMode::TenantHeld }); }>
                {if tenant_held { "Let the provider hold keys" } else { "Hold our own keys (the provider gets public keys only)" }}
            </button>
        }
    };

    view! {
        <section class="panel" aria-labelledby="overview-title">
            <h1 id="overview-title">{move || format!("Encryption of {}", tenant.get())}</h1>
            <TenantNav tenant=tenant.get_untracked() />
            <TenantKeyFile key=signer />
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
