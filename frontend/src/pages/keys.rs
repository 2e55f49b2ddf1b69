use callvault_shared::api::{GenerateKey, KeyMode, NewKey};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::browser_keygen::BrowserKeygen;
use crate::components::key_import::KeyImport;
use crate::components::key_rotation::KeyRotation;
use crate::components::keys::KeyCard;
use crate::components::problem::Problem;
use crate::components::rewrap::Rewrap;
use crate::components::tenant_key::{TenantKey, TenantKeyFile};
use crate::components::tenant_nav::{TenantNav, tenant_param};
use crate::hooks::Reload;

/// A tenant's encryption keys: fingerprints, states and holders; create, export, grant,
/// activate and retire.
#[component]
pub fn KeysPage() -> impl IntoView {
    let tenant = tenant_param();
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

    view! {
        <section class="panel" aria-labelledby="keys-title">
            <h1 id="keys-title">{move || format!("Keys of {}", tenant.get())}</h1>
            <TenantNav tenant=tenant.get_untracked() />
            <TenantKeyFile key=signer />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || keys.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p id="no-keys">"No key yet: create one below."</p> }.into_any(),
                    Ok(list) => {
                        let people = users.get().unwrap_or_default();
                        list.into_iter().map(|key| view! {
                            <KeyCard tenant=tenant.get_untracked() key users=people.clone() signer reload />
                        }).collect_view().into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <Rewrap tenant />
            <Show when=move || held.get()>
                <KeyRotation tenant signer reload />
            </Show>
            <KeyImport tenant signer reload />
            <BrowserKeygen tenant signer reload />
            <h2>"New key"</h2>
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
        </section>
    }
}
