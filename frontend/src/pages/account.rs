use callvault_shared::api::PasswordChange;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError};
use crate::components::confirm::ConfirmButton;
use crate::components::device;
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
    // Ends every session but this one, one by one.
    let end_others = reload.action(|ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            for id in &ids {
                api::end_session(id).await?;
            }
            Ok::<_, ApiError>(ids.len())
        }
    });
    let query = leptos_router::hooks::use_query_map();
    let failed_since_last = move || {
        query
            .read()
            .get("failed")
            .and_then(|count| count.parse::<u32>().ok())
            .filter(|count| *count > 0)
    };
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
            {move || failed_since_last().map(|count| view! {
                <p class="warning" role="status" id="failed-since-last">
                    {format!("{count} wrong password{} tried on your account since you last signed in: see when and from where below. If it was not you, change your password.", if count == 1 { " was" } else { "s were" })}
                </p>
            })}
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
                    Ok(list) => {
                        let others = list.iter().filter(|session| !session.current).map(|session| session.id.to_string()).collect::<Vec<_>>();
                        let count = others.len();
                        view! {
                            <table id="sessions" class="cards-on-phone">
                                <thead><tr><th>"Device"</th><th>"From"</th><th>"Since (UTC)"</th><th>"Last used (UTC)"</th><th>"End"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|session| {
                                        let id = session.id.to_string();
                                        view! {
                                            <tr class:current=session.current>
                                                <td data-label="Device" title=session.user_agent.clone()>{device::describe(&session.user_agent)}</td>
                                                <td data-label="From">{session.origin}</td>
                                                <td data-label="Since (UTC)">{session.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                <td data-label="Last used (UTC)">{session.last_used_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                <td data-label="End">{if session.current {
                                                    view! { <span class="badge good">"This session"</span> }.into_any()
                                                } else {
                                                    view! { <button type="button" class="secondary end-session" on:click=move |_| { end.dispatch(id.clone()); }>"End"</button> }.into_any()
                                                }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {(count > 0).then(|| view! {
                                <ConfirmButton label="End all other sessions" class="secondary" aria_label="End all other sessions"
                                    title="End all your other sessions?"
                                    consequence=format!("The {count} other places where you are signed in are signed out at once; this one stays.")
                                    confirm="End them" on_confirm=move || { end_others.dispatch(others.clone()); } />
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            {move || end_others.value().get().map(|result| match result {
                Ok(ended) => view! { <p role="status" id="others-ended">{format!("{ended} other sessions ended.")}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </section>
    }
}
