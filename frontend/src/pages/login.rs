use callvault_shared::api::LoginRequest;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use web_sys::SubmitEvent;

use crate::api;
use crate::session::use_session;

/// Sign-in: username and password, with what went wrong said in words.
#[component]
pub fn LoginPage() -> impl IntoView {
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    // The name is what a person types first.
    let username_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = username_field.get() {
            let _ = field.focus();
        }
    });
    let sign_in = Action::new_local(|request: &LoginRequest| {
        let request = request.clone();
        async move { api::login(&request).await }
    });
    let pending = sign_in.pending();
    let failure = move || sign_in.value().get().and_then(Result::err);
    let navigate = use_navigate();
    let session = use_session();
    let query = leptos_router::hooks::use_query_map();
    let ended = move || query.read().get("ended").is_some();
    Effect::new(move |_| {
        // Wrong passwords tried on this account since the last sign-in are news: the account
        // screen says how many, and lists when and from where.
        match sign_in.value().get() {
            Some(Ok(login)) if login.failed_sign_ins_since_last > 0 => {
                session.refresh();
                navigate(
                    &format!("/account?failed={}", login.failed_sign_ins_since_last),
                    Default::default(),
                )
            }
            Some(Ok(_)) => {
                session.refresh();
                navigate("/", Default::default())
            }
            _ => {}
        }
    });

    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        sign_in.dispatch(LoginRequest {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };

    view! {
        <section class="panel login" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in to callvault"</h1>
            <Show when=ended>
                <p role="status" id="session-ended">"Your session ended (you signed out, it went unused for a while, or an administrator ended it). Sign in again to go on."</p>
            </Show>
            <p class="hint">"After 10 wrong passwords for one name from your network, that name pauses there for 15 minutes; a browser that has signed in to the account before is not held up by other people's mistakes."</p>
            <form id="login-form" on:submit=on_submit>
                <label for="login-username">"Username"</label>
                <input
                    id="login-username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    autofocus
                    node_ref=username_field
                    required
                    prop:value=username
                    on:input=move |event| set_username.set(event_target_value(&event))
                />
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    prop:value=password
                    on:input=move |event| set_password.set(event_target_value(&event))
                />
                <button type="submit" disabled=pending>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
                <Show when=move || failure().is_some()>
                    <p class="error" role="alert">{move || failure().map(|error| error.to_string())}</p>
                </Show>
            </form>
        </section>
    }
}
