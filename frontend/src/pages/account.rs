use callvault_shared::api::PasswordChange;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// The signed-in user's own account: their password and where they are signed in.
#[component]
pub fn AccountPage() -> impl IntoView {
    let reload = Reload::new();
    let sessions = LocalResource::new(move || {
        reload.track();
        api::sessions()
    });
    let failed = LocalResource::new(api::failed_sign_ins);
    let (current, set_current) = signal(String::new());
    let (new, set_new) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let change = reload.action(|change: &PasswordChange| {
        let change = change.clone();
        async move { api::change_password(&change).await }
    });
    let end = reload.action(|id: &String| {
        let id = id.clone();
        async move { api::end_session(&id).await }
    });
    let mismatch = move || !again.get().is_empty() && new.get() != again.get();
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !mismatch() {
            change.dispatch(PasswordChange {
                current_password: current.get_untracked(),
                new_password: new.get_untracked(),
            });
        }
    };
    view! {
        <section class="panel" aria-labelledby="account-title">
            <h1 id="account-title">"Your account"</h1>
            <h2 id="failed-sign-ins-title">"Failed sign-ins"</h2>
            <p>"Wrong passwords tried on your account in the last 30 days, and where they came from."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || failed.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p id="no-failed-sign-ins">"None."</p> }.into_any(),
                    Ok(list) => view! {
                        <table id="failed-sign-ins">
                            <thead><tr><th>"When (UTC)"</th><th>"From"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|failure| view! {
                                    <tr>
                                        <td>{failure.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                        <td>{failure.origin}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <h2>"Change your password"</h2>
            <p>"Your keys stay yours: they are sealed again under the new password. Your other sessions end."</p>
            <form id="change-password" class="form" on:submit=on_submit>
                <label for="current-password">"Current password"</label>
                <input id="current-password" type="password" autocomplete="current-password" required prop:value=current
                    on:input=move |event| set_current.set(event_target_value(&event)) />
                <label for="new-password">"New password (at least 12 characters)"</label>
                <input id="new-password" type="password" autocomplete="new-password" required prop:value=new
                    on:input=move |event| set_new.set(event_target_value(&event)) />
                <label for="new-password-again">"The new password again"</label>
                <input id="new-password-again" type="password" autocomplete="new-password" required prop:value=again
                    on:input=move |event| set_again.set(event_target_value(&event)) />
                <Show when=mismatch>
                    <p class="error" role="alert">"The two new passwords differ."</p>
                </Show>
                <button type="submit" disabled=change.pending()>"Change password"</button>
                {move || change.value().get().map(|result| match result {
                    Ok(done) => view! { <p role="status" id="password-changed">{format!("Changed. {} other sessions ended.", done.sessions_ended)}</p> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </form>
            <h2>"Where you are signed in"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || sessions.get().map(|result| match result {
                    Ok(list) => view! {
                        <table id="sessions">
                            <thead><tr><th>"Since"</th><th>"Last used"</th><th>"From"</th><th>"Browser or client"</th><th>"End"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|session| {
                                    let id = session.id.to_string();
                                    view! {
                                        <tr>
                                            <td>{session.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            <td>{session.last_used_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                            <td>{session.origin}</td>
                                            <td>{session.user_agent}</td>
                                            <td>{if session.current {
                                                view! { <span>"this one"</span> }.into_any()
                                            } else {
                                                view! { <button type="button" class="secondary" on:click=move |_| { end.dispatch(id.clone()); }>"End"</button> }.into_any()
                                            }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
