use callvault_shared::api::{GenerateKey, KeyMode, NewKey, Permission};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::badge::KeyModeBadge;
use crate::components::browser_keygen::BrowserKeygen;
use crate::components::key_import::KeyImport;
use crate::components::key_rotation::KeyRotation;
use crate::components::keys::KeyCard;
use crate::components::problem::Problem;
use crate::components::rewrap::Rewrap;
use crate::components::tenant_key::{TenantKey, TenantKeyFile};
use crate::components::tenant_nav::tenant_param;
use crate::hooks::Reload;
use crate::session::{tenant_title, use_session};

/// A tenant's encryption keys: fingerprints, states and holders; create, export, grant,
/// activate and retire.
#[component]
pub fn KeysPage() -> impl IntoView {
    let tenant = tenant_param();
    let session = use_session();
    let reload = Reload::new();
    let keys = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::keys(&tenant).await }
    });
    let users = LocalResource::new(move || {
        let tenant = tenant.get();
        async move { api::users(&tenant).await.unwrap_or_default() }
    });
    let settings = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::encryption(&tenant).await.ok() }
    });
    let held = Signal::derive(move || {
        settings
            .get()
            .flatten()
            .is_some_and(|settings| settings.mode == KeyMode::TenantHeld)
    });
    let signer = TenantKey::new(held);
    let (bits, set_bits) = signal(3072u32);
    let create = reload.action(move |bits: &u32| {
        let (tenant, bits) = (tenant.get_untracked(), *bits);
        async move {
            api::create_key(
                &tenant,
                &NewKey::Generate(GenerateKey {
                    bits,
                    grant_to: None,
                }),
                None,
            )
            .await
        }
    });
    let on_create = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch(bits.get_untracked());
    };

    let manage = move || session.can(Permission::KeysManage);
    let title = tenant_title("Keys");

    view! {
        <section class="panel" aria-labelledby="keys-title">
            <h1 id="keys-title">{title}</h1>
            {move || settings.get().flatten().map(|settings| view! {
                <p class="mode-line"><KeyModeBadge mode=settings.mode />" "{if settings.mode == KeyMode::TenantHeld {
                    "The server has public keys only: recordings are sealed here and opened only with the tenant's key file, in the browser."
                } else {
                    "Private keys live on the server only sealed for the users they are granted to."
                }}</p>
            })}
            <Show when=manage>
                <TenantKeyFile key=signer />
            </Show>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || keys.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! {
                        <p id="no-keys" class="empty">{if held.get() {
                            "No key yet. Generate a key pair in this browser below: only its public half comes to the server."
                        } else {
                            "No key yet. Create one below, then export it for safekeeping and grant it to whoever plays recordings."
                        }}</p>
                    }.into_any(),
                    Ok(list) => {
                        let people = users.get().unwrap_or_default();
                        list.into_iter().map(|key| view! {
                            <KeyCard tenant=tenant.get_untracked() key users=people.clone() signer reload />
                        }).collect_view().into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <Show when=manage>
                <Rewrap tenant />
                <Show when=move || held.get()>
                    <KeyRotation tenant signer reload />
                    <BrowserKeygen tenant signer reload />
                </Show>
                <details class="fold">
                    <summary class="button-like">"Import a key file"</summary>
                    <KeyImport tenant signer reload />
                </details>
                <Show when=move || !held.get()>
                    <details class="fold" open=true>
                        <summary class="button-like">"New key"</summary>
                        <form id="new-key" class="form" on:submit=on_create>
                            <label for="key-bits">"Size"</label>
                            <select id="key-bits" on:change=move |event| {
                                if let Ok(bits) = event_target_value(&event).parse() { set_bits.set(bits) }
                            }>
                                <option value="2048">"RSA 2048"</option>
                                <option value="3072" selected>"RSA 3072 (recommended)"</option>
                                <option value="4096">"RSA 4096"</option>
                            </select>
                            <button type="submit" disabled=create.pending()>
                                {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                            </button>
                            {move || create.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
                        </form>
                    </details>
                </Show>
            </Show>
        </section>
    }
}
