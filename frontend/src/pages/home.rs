use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};

/// The start screen after signing in: who you are, where, and the way out.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = LocalResource::new(api::me);
    let navigate = use_navigate();
    let sign_out = Action::new_local(move |csrf_token: &String| {
        let csrf_token = csrf_token.clone();
        async move { api::logout(&csrf_token).await }
    });
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            navigate("/login", Default::default());
        }
    });

    view! {
        <Suspense fallback=|| view! { <p class="panel">"Loading…"</p> }>
            {move || me.get().map(|result| match result {
                Ok(me) => {
                    let csrf_token = me.csrf_token.clone();
                    view! {
                        <section class="panel" aria-labelledby="home-title">
                            <h1 id="home-title">{format!("Signed in as {}", me.user.username)}</h1>
                            <p>
                                {format!("Role {} in {} ({}).", me.user.role, me.tenant.name, me.tenant.slug)}
                            </p>
                            <button
                                id="sign-out"
                                type="button"
                                on:click=move |_| { sign_out.dispatch(csrf_token.clone()); }
                            >
                                "Sign out"
                            </button>
                        </section>
                    }.into_any()
                }
                Err(ApiError::SignedOut(_)) => view! { <Redirect path="/login" /> }.into_any(),
                Err(error) => view! {
                    <p class="panel error" role="alert">{error.to_string()}</p>
                }.into_any(),
            })}
        </Suspense>
    }
}
