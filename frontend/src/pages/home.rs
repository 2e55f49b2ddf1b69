use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};

/// The start screen after signing in: who you are, where to go, and the way out.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = LocalResource::new(api::me);
    let navigate = use_navigate();
    let sign_out = Action::new_local(move |_: &()| api::logout());
    let query = leptos_router::hooks::use_query_map();
    let failed_since_last = move || {
        query
            .read()
            .get("failed")
            .and_then(|count| count.parse::<u32>().ok())
            .filter(|count| *count > 0)
    };
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            navigate("/login", Default::default());
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="panel">"Loading…"</p> }>
            {move || me.get().map(|result| match result {
                Ok(me) => {
                    let staff = me.user.role.is_provider_staff();
                    let own = format!("/t/{}", me.tenant.slug);
                    view! {
                        <section class="panel" aria-labelledby="home-title">
                            <h1 id="home-title">{format!("Signed in as {}", me.user.username)}</h1>
                            {move || failed_since_last().map(|count| view! {
                                <p class="warning" role="status" id="failed-since-last">
                                    {format!("{count} wrong password{} tried on your account since you last signed in. ", if count == 1 { " was" } else { "s were" })}
                                    <A href="/account" attr:id="see-failed-sign-ins">"See when and from where"</A>
                                    "; if it was not you, change your password."
                                </p>
                            })}
                            <p>
                                {format!("Role {} in {} ({}).", me.user.role, me.tenant.name, me.tenant.slug)}
                            </p>
                            <ul class="links">
                                <Show when=move || staff>
                                    <li><A href="/tenants" attr:id="go-tenants">"Tenants"</A></li>
                                </Show>
                                <li><A href=own attr:id="go-own-tenant">{format!("{}: encryption, users, keys, recordings", me.tenant.name)}</A></li>
                            </ul>
                            <button id="sign-out" type="button" on:click=move |_| { sign_out.dispatch(()); }>
                                "Sign out"
                            </button>
                        </section>
                    }
                    .into_any()
                }
                Err(ApiError::SignedOut(_)) => view! { <Redirect path="/login" /> }.into_any(),
                Err(error) => view! { <p class="panel error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
