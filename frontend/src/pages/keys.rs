use callvault_shared::api::{EncryptionKey, KeyExport, KeyState, NewGrant, NewKey, User};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, files};
use crate::components::browser_keygen::BrowserKeygen;
use crate::components::key_import::KeyImport;
use crate::components::problem::Problem;
use crate::components::rewrap::Rewrap;
use crate::components::tenant_nav::{TenantNav, tenant_param};

/// Exported key files are protected by at least this many characters.
const MIN_PASSPHRASE: usize = 12;

/// A tenant's encryption keys: fingerprints, states and holders; create, export, grant,
/// activate and retire.
#[component]
pub fn KeysPage() -> impl IntoView {
    let tenant = tenant_param();
    let reload = RwSignal::new(0u32);
    let keys = LocalResource::new(move || {
        reload.get();
        let tenant = tenant.get();
        async move { api::keys(&tenant).await }
    });
    let users = LocalResource::new(move || {
        let tenant = tenant.get();
        async move { api::users(&tenant).await.unwrap_or_default() }
    });
    let (bits, set_bits) = signal(3072u32);
    let create = Action::new_local(move |bits: &u32| {
        let (tenant, bits) = (tenant.get_untracked(), *bits);
        async move {
            api::create_key(
                &tenant,
                &NewKey::Generate {
                    bits,
                    grant_to: None,
                },
            )
            .await
        }
    });
    Effect::new(move |_| {
        if create.value().get().is_some_and(|result| result.is_ok()) {
            reload.update(|n| *n += 1);
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
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || keys.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p id="no-keys">"No key yet: create one below."</p> }.into_any(),
                    Ok(list) => {
                        let people = users.get().unwrap_or_default();
                        list.into_iter().map(|key| view! {
                            <KeyCard tenant=tenant.get_untracked() key users=people.clone() reload />
                        }).collect_view().into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <Rewrap tenant />
            <KeyImport tenant reload />
            <BrowserKeygen tenant reload />
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

/// One key: what it is, who holds it, and what can be done with it.
#[component]
fn KeyCard(
    tenant: String,
    key: EncryptionKey,
    users: Vec<User>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let short = key.fingerprint[..16].to_owned();
    let id = key.id.to_string();
    let (passphrase, set_passphrase) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let (grantee, set_grantee) = signal(String::new());
    let export = {
        let (tenant, id, short) = (tenant.clone(), id.clone(), short.clone());
        Action::new_local(move |passphrase: &String| {
            let (tenant, id, short, passphrase) = (
                tenant.clone(),
                id.clone(),
                short.clone(),
                passphrase.clone(),
            );
            async move {
                let pem = api::export_key(&tenant, &id, &KeyExport { passphrase }).await?;
                files::save(
                    pem.as_bytes(),
                    &format!("callvault-{short}.pem"),
                    "application/x-pem-file",
                )
                .map_err(api::ApiError::Network)?;
                Ok::<_, api::ApiError>(())
            }
        })
    };
    let grant = {
        let (tenant, id) = (tenant.clone(), id.clone());
        Action::new_local(move |user: &String| {
            let (tenant, id, user) = (tenant.clone(), id.clone(), user.clone());
            async move {
                let user_id = user
                    .parse()
                    .map_err(|_| api::ApiError::Network("choose a user".into()))?;
                api::grant(&tenant, &id, &NewGrant { user_id }).await
            }
        })
    };
    let act = {
        let (tenant, id) = (tenant.clone(), id.clone());
        Action::new_local(move |action: &&'static str| {
            let (tenant, id, action) = (tenant.clone(), id.clone(), *action);
            async move { api::key_action(&tenant, &id, action).await }
        })
    };
    Effect::new(move |_| {
        // An export changes nothing shown here; its message must stay on screen.
        let done = grant.value().get().is_some_and(|r| r.is_ok())
            || act.value().get().is_some_and(|r| r.is_ok());
        if done {
            reload.update(|n| *n += 1);
        }
    });
    let mismatch = move || !again.get().is_empty() && passphrase.get() != again.get();
    let strength = move || match passphrase.get().chars().count() {
        0 => "",
        n if n < MIN_PASSPHRASE => "too short",
        n if n < 20 => "fair",
        _ => "strong",
    };
    let on_export = move |event: SubmitEvent| {
        event.prevent_default();
        if !mismatch() && passphrase.get_untracked().chars().count() >= MIN_PASSPHRASE {
            export.dispatch(passphrase.get_untracked());
        }
    };
    let on_grant = move |event: SubmitEvent| {
        event.prevent_default();
        grant.dispatch(grantee.get_untracked());
    };
    let holders = key
        .holders
        .iter()
        .map(|h| h.username.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let revoke = {
        let (tenant, id) = (tenant.clone(), id.clone());
        Action::new_local(move |user: &String| {
            let (tenant, id, user) = (tenant.clone(), id.clone(), user.clone());
            async move { api::revoke(&tenant, &id, &user).await }
        })
    };
    Effect::new(move |_| {
        if revoke.value().get().is_some_and(|r| r.is_ok()) {
            reload.update(|n| *n += 1);
        }
    });
    let holder_list = key.holders.clone();
    let private = key.origin != callvault_shared::api::KeyOrigin::PublicOnly;
    let usable = key.state == KeyState::Active;
    let card_id = format!("key-{short}");
    view! {
        <article class="key" id=card_id>
            <h2><code class="fingerprint">{key.fingerprint.clone()}</code></h2>
            <p>
                {format!("RSA {} · {:?} · {:?}{}", key.bits, key.origin, key.state, if key.active { " · seals new recordings" } else { "" })}
            </p>
            <p class="holders">{format!("Held by: {}", if holders.is_empty() { "nobody on this server".to_owned() } else { holders })}</p>
            <ul class="holder-list">
                {holder_list.into_iter().map(|holder| {
                    let user = holder.user_id.to_string();
                    let label = format!("Revoke {}'s grant", holder.username);
                    view! {
                        <li>
                            {holder.username.clone()}
                            " "
                            <button type="button" class="secondary revoke" aria-label=label
                                on:click=move |_| { revoke.dispatch(user.clone()); }>"Revoke"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            <Show when=move || usable && !key.active>
                <button type="button" class="activate" on:click=move |_| { act.dispatch("activate"); }>"Make active"</button>
            </Show>
            <Show when=move || usable>
                <button type="button" class="secondary retire" on:click=move |_| { act.dispatch("retire"); }>"Retire"</button>
            </Show>
            {move || act.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            <Show when=move || private && usable>
                <form class="form export" on:submit=on_export>
                    <h3>"Export for safekeeping"</h3>
                    <label>"Passphrase for the file"
                        <input type="password" class="export-passphrase" autocomplete="new-password" prop:value=passphrase
                            on:input=move |event| set_passphrase.set(event_target_value(&event)) />
                    </label>
                    <span class="strength" aria-live="polite">{strength}</span>
                    <label>"The same passphrase again"
                        <input type="password" class="export-again" autocomplete="new-password" prop:value=again
                            on:input=move |event| set_again.set(event_target_value(&event)) />
                    </label>
                    <Show when=mismatch>
                        <p class="error" role="alert">"The two passphrases differ."</p>
                    </Show>
                    <button type="submit" disabled=export.pending()>"Export key file"</button>
                    {move || export.value().get().map(|result| match result {
                        Ok(()) => view! { <p role="status" class="exported">"Exported. Keep the file and its passphrase apart."</p> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })}
                </form>
                <form class="form grant" on:submit=on_grant>
                    <h3>"Grant"</h3>
                    <label>"User"
                        <select class="grantee" on:change=move |event| set_grantee.set(event_target_value(&event))>
                            <option value="">"Choose…"</option>
                            {users.iter().map(|user| view! {
                                <option value=user.id.to_string()>{format!("{} ({})", user.username, user.role)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" disabled=grant.pending()>"Grant key"</button>
                    {move || grant.value().get().map(|result| match result {
                        Ok(holder) => view! { <p role="status" class="granted">{format!("Granted to {}.", holder.username)}</p> }.into_any(),
                        Err(error) => view! { <Problem error /> }.into_any(),
                    })}
                </form>
            </Show>
        </article>
    }
}
