use callvault_shared::api::{NewUser, PasswordReset, Role, UserUpdate};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::problem::Problem;
use crate::components::tenant_nav::{TenantNav, tenant_param};
use crate::hooks::Reload;

/// A tenant's users: who they are, their roles, new ones, and password resets.
#[component]
pub fn UsersPage() -> impl IntoView {
    let tenant = tenant_param();
    let reload = Reload::new();
    let users = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::users(&tenant).await }
    });
    let (username, set_username) = signal(String::new());
    let (password, set_password) = signal(String::new());
    let (role, set_role) = signal(Role::User);
    let create = reload.action_then(
        move |user: &NewUser| {
            let (tenant, user) = (tenant.get_untracked(), user.clone());
            async move { api::create_user(&tenant, &user).await }
        },
        move |_| {
            set_username.set(String::new());
            set_password.set(String::new());
        },
    );
    let change_role = Action::new_local(move |(user, role): &(String, Role)| {
        let (tenant, user, role) = (tenant.get_untracked(), user.clone(), *role);
        async move { api::update_user(&tenant, &user, &UserUpdate { role: Some(role) }).await }
    });
    let reset = Action::new_local(move |(user, password): &(String, String)| {
        let (tenant, user, password) = (tenant.get_untracked(), user.clone(), password.clone());
        async move { api::reset_password(&tenant, &user, &PasswordReset { password }).await }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch(NewUser {
            username: username.get_untracked(),
            password: password.get_untracked(),
            role: role.get_untracked(),
        });
    };

    view! {
        <section class="panel" aria-labelledby="users-title">
            <h1 id="users-title">{move || format!("Users of {}", tenant.get())}</h1>
            <TenantNav tenant=tenant.get_untracked() />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(list) => view! {
                        <table id="users">
                            <thead><tr><th>"User"</th><th>"Role"</th><th>"Key"</th><th>"Password"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|user| {
                                    let id = user.id.to_string();
                                    let new_password = RwSignal::new(String::new());
                                    let label = format!("New password for {}", user.username);
                                    view! {
                                        <tr>
                                            <td>{user.username.clone()}</td>
                                            <td>
                                                <select aria-label=format!("Role of {}", user.username) on:change={
                                                    let id = id.clone();
                                                    move |event| {
                                                        if let Ok(role) = event_target_value(&event).parse::<Role>() {
                                                            change_role.dispatch((id.clone(), role));
                                                        }
                                                    }
                                                }>
                                                    {Role::ALL.into_iter().map(|role| view! {
                                                        <option value=role.as_str() selected=role == user.role>{role.as_str()}</option>
                                                    }).collect_view()}
                                                </select>
                                            </td>
                                            <td><code>{user.key_fingerprint.map(|f| f[..16].to_owned()).unwrap_or_default()}</code></td>
                                            <td>
                                                <input type="password" aria-label=label prop:value=new_password
                                                    on:input=move |event| new_password.set(event_target_value(&event)) />
                                                <button type="button" class="secondary"
                                                    title="The user gets a new key pair: every key granted to them is lost until granted again."
                                                    on:click=move |_| { reset.dispatch((id.clone(), new_password.get_untracked())); }>
                                                    "Reset password"
                                                </button>
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
            <p class="warning">"A password reset gives the user a new key pair: the keys they were granted are lost to them until someone who holds each grants it again."</p>
            {move || change_role.value().get().map(|result| match result {
                Ok(user) => view! { <p role="status">{format!("{} is now {}.", user.username, user.role)}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            {move || reset.value().get().map(|result| match result {
                Ok(outcome) => view! { <p role="status">{format!("{} — {}", outcome.user.username, outcome.notice)}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            <h2>"New user"</h2>
            <form id="new-user" class="form" on:submit=on_submit>
                <label for="user-name">"Username"</label>
                <input id="user-name" required autocomplete="off" prop:value=username
                    on:input=move |event| set_username.set(event_target_value(&event)) />
                <label for="user-password">"Password (at least 12 characters)"</label>
                <input id="user-password" type="password" required autocomplete="new-password" prop:value=password
                    on:input=move |event| set_password.set(event_target_value(&event)) />
                <label for="user-role">"Role"</label>
                <select id="user-role" on:change=move |event| {
                    if let Ok(role) = event_target_value(&event).parse() { set_role.set(role) }
                }>
                    {Role::ALL.into_iter().map(|role| view! {
                        <option value=role.as_str() selected=move || role == Role::User>{role.as_str()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" disabled=create.pending()>"Create user"</button>
                {move || create.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            </form>
        </section>
    }
}
