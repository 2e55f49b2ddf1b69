use callvault_shared::api::{NewApiToken, TokenScope};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::confirm::ConfirmButton;
use crate::components::copy_button::CopyButton;
use crate::components::problem::Problem;
use crate::components::tenant_nav::tenant_param;
use crate::hooks::Reload;
use crate::session::tenant_title;

/// What each scope means, in the words a tenant administrator chooses by.
fn explain(scope: TokenScope) -> &'static str {
    match scope {
        TokenScope::Upload => "upload recordings (a recorder: never reads or plays)",
        TokenScope::Read => "list and search recordings, read their metadata",
        TokenScope::Play => "play and download, with your grants on the tenant's keys",
        TokenScope::Export => "download sealed ZIP archives",
    }
}

/// A tenant's API tokens: what integrators use, new ones (their secret shown once), and
/// revocation.
#[component]
pub fn TokensPage() -> impl IntoView {
    let tenant = tenant_param();
    let reload = Reload::new();
    let tokens = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::api_tokens(&tenant).await }
    });
    let (name, set_name) = signal(String::new());
    let (days, set_days) = signal(90u32);
    let scopes = RwSignal::new(vec![TokenScope::Upload]);
    let create = reload.action_then(
        move |token: &NewApiToken| {
            let (tenant, token) = (tenant.get_untracked(), token.clone());
            async move { api::create_api_token(&tenant, &token).await }
        },
        move |_| set_name.set(String::new()),
    );
    let revoke = reload.action(move |id: &String| {
        let (tenant, id) = (tenant.get_untracked(), id.clone());
        async move { api::revoke_api_token(&tenant, &id).await }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch(NewApiToken {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
            expires_in_days: Some(days.get_untracked()),
        });
    };

    view! {
        <section class="panel" aria-labelledby="tokens-title">
            <h1 id="tokens-title">{tenant_title("API tokens")}</h1>
            <p>"A token acts as you, in this tenant only, limited to its scopes and to what your role allows. Recorders and CRMs send it as "<code>"Authorization: Bearer …"</code>"; the API is described at "<a href="/api/docs" rel="external">"/api/docs"</a>"."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p id="no-tokens" class="empty">"No tokens yet. A recorder or CRM needs one: create it below, with only the scopes it needs."</p> }.into_any(),
                    Ok(list) => view! {
                        <table id="tokens" class="cards-on-phone">
                            <thead><tr><th>"Name"</th><th>"Scopes"</th><th>"Acts as"</th><th>"Expires (UTC)"</th><th>"Last used (UTC)"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|token| {
                                    let id = token.id.to_string();
                                    let scopes = token.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                                    view! {
                                        <tr>
                                            <td data-label="Name">{token.name.clone()}</td>
                                            <td data-label="Scopes">{scopes}</td>
                                            <td data-label="Acts as">{token.username.clone()}</td>
                                            <td data-label="Expires (UTC)">{token.expires_at.format("%Y-%m-%d").to_string()}</td>
                                            <td data-label="Last used (UTC)">{token.last_used_at.map(|at| at.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                <ConfirmButton label="Revoke" class="secondary revoke-token"
                                                    aria_label=format!("Revoke {}", token.name)
                                                    title=format!("Revoke the token {}?", token.name)
                                                    consequence=format!("Whatever uses it ({}) is refused from its next request on, and cannot get it back: it needs a new token.", token.name)
                                                    confirm="Revoke" on_confirm=move || { revoke.dispatch(id.clone()); } />
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            {move || create.value().get().and_then(Result::ok).map(|created| view! {
                <div class="notice" role="status">
                    <p>{format!("The token {} is ready. Copy its secret now: it is not shown again.", created.token.name)}</p>
                    <div class="secret-line">
                        <input id="token-secret" readonly class="secret" aria-label="The token's secret" prop:value=created.secret.clone()
                            on:focus=move |event| {
                                if let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                    input.select();
                                }
                            } />
                        <CopyButton text=created.secret what="the token's secret" />
                    </div>
                </div>
            })}
            <details class="fold" open=true>
            <summary class="button-like">"New token"</summary>
            <form id="new-token" class="form" on:submit=on_submit>
                <label for="token-name">"What it is for"</label>
                <input id="token-name" required maxlength="100" autocomplete="off" placeholder="recorder pbx-01"
                    prop:value=name on:input=move |event| set_name.set(event_target_value(&event)) />
                <fieldset>
                    <legend>"Scopes"</legend>
                    {TokenScope::ALL.into_iter().map(|scope| view! {
                        <label class="check">
                            <input type="checkbox" name="scope" value=scope.as_str()
                                prop:checked=move || scopes.read().contains(&scope)
                                on:change=move |event| {
                                    let on = event_target_checked(&event);
                                    scopes.update(|list| {
                                        list.retain(|s| *s != scope);
                                        if on { list.push(scope) }
                                    });
                                } />
                            <strong>{scope.as_str()}</strong>" — "{explain(scope)}
                        </label>
                    }).collect_view()}
                </fieldset>
                <label for="token-days">"Expires after (days, 1 to 730)"</label>
                <input id="token-days" type="number" min="1" max="730" prop:value=move || days.get().to_string()
                    on:input=move |event| if let Ok(value) = event_target_value(&event).parse() { set_days.set(value) } />
                <button type="submit" disabled=move || create.pending().get() || scopes.read().is_empty()>"Create token"</button>
                {move || create.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            </form>
            </details>
        </section>
    }
}
