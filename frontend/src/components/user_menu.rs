use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::session::use_session;

/// The signed-in user's name and role, their account, and the way out.
#[component]
pub fn UserMenu() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let sign_out = Action::new_local(move |_: &()| api::logout());
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            session.refresh();
            navigate("/login", Default::default());
        }
    });
    let who = move || {
        session
            .me()
            .map(|me| (me.user.username, me.user.role.label(), me.tenant.name))
    };
    view! {
        <details class="user-menu">
            <summary id="user-menu" aria-label="Your account">
                {move || who().map(|(name, _, _)| name)}
            </summary>
            <div class="menu">
                <p class="menu-who">{move || who().map(|(_, role, tenant)| format!("{role} in {tenant}"))}</p>
                <A href="/account" attr:id="go-account">"Account"</A>
                <button id="sign-out" type="button" class="secondary" on:click=move |_| { sign_out.dispatch(()); }>
                    "Sign out"
                </button>
            </div>
        </details>
    }
}
