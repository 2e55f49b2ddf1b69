use callvault_shared::api::{NewUser, PasswordReset, Permission, Role, User, UserUpdate};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::confirm::ConfirmButton;
use crate::components::problem::Problem;
use crate::components::tenant_nav::tenant_param;
use crate::hooks::Reload;
use crate::session::{tenant_title, use_session};

/// A tenant's users: who they are, their roles, new ones, and password resets. Changing a
/// role or resetting a password asks first and says what follows.
#[component]
pub fn UsersPage() -> impl IntoView {
    let tenant = tenant_param();
    let session = use_session();
    let manage = move || session.can(Permission::UsersManage);
    let reload = Reload::new();
    let users = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::users(&tenant).await }
    });
    // How many keys each user holds, so that a reset can say what it takes away.
    let keys = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::keys(&tenant).await.unwrap_or_default() }
    });
    let change_role = reload.action(move |(user, role): &(String, Role)| {
        let (tenant, user, role) = (tenant.get_untracked(), user.clone(), *role);
        async move { api::update_user(&tenant, &user, &UserUpdate { role: Some(role) }).await }
    });
    let reset = reload.action(move |(user, password): &(String, String)| {
        let (tenant, user, password) = (tenant.get_untracked(), user.clone(), password.clone());
        async move { api::reset_password(&tenant, &user, &PasswordReset { password }).await }
    });
    let title = tenant_title("Users");
    let row = move |user: User| {
        let id = user.id.to_string();
        let (for_role, for_reset) = (user.clone(), user.clone());
        let held = keys
            .get()
            .unwrap_or_default()
            .iter()
            .filter(|key| key.holders.iter().any(|holder| holder.user_id == user.id))
            .count();
        view! {
            <tr>
                <td data-label="User">{user.username.clone()}</td>
                <td data-label="Role">
                    <Show when=manage fallback={
                        let role = user.role.label();
                        move || role
                    }>
                        <RoleChange user=for_role.clone() on_change=move |change| { change_role.dispatch(change); } />
                    </Show>
                </td>
                <td data-label="Keys held">{held.to_string()}</td>
                <Show when=manage>
                    <td data-label="Password">
                        <PasswordResetForm user=for_reset.clone() keys_held=held
                            on_reset={
                                let id = id.clone();
                                move |password| { reset.dispatch((id.clone(), password)); }
                            } />
                    </td>
                </Show>
            </tr>
        }
    };

    view! {
        <section class="panel" aria-labelledby="users-title">
            <h1 id="users-title">{title}</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(list) => view! {
                        <table id="users" class="cards-on-phone">
                            <thead><tr>
                                <th>"User"</th><th>"Role"</th><th>"Keys held"</th>
                                <Show when=manage><th>"Password"</th></Show>
                            </tr></thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            {move || change_role.value().get().map(|result| match result {
                Ok(user) => view! { <p role="status" id="role-changed">{format!("{} is now {}.", user.username, user.role.label())}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            {move || reset.value().get().map(|result| match result {
                Ok(outcome) => view! { <p role="status" id="password-reset">{format!("{} — {}", outcome.user.username, outcome.notice)}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            <Show when=manage>
                <NewUserForm tenant reload />
            </Show>
        </section>
    }
}

/// A user's role as a choice, applied only after a confirmation that names the change.
#[component]
fn RoleChange(
    user: User,
    on_change: impl Fn((String, Role)) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let (chosen, set_chosen) = signal(user.role);
    let assignable = move |role: Role| {
        role == user.role || session.me().is_some_and(|me| me.user.role.may_assign(role))
    };
    let id = user.id.to_string();
    let name = user.username.clone();
    view! {
        <span class="inline-form">
            <select aria-label=format!("Role of {}", user.username) on:change=move |event| {
                if let Ok(role) = event_target_value(&event).parse::<Role>() { set_chosen.set(role) }
            }>
                {Role::ALL.into_iter().filter(|role| assignable(*role)).map(|role| view! {
                    <option value=role.as_str() selected=role == user.role>{role.label()}</option>
                }).collect_view()}
            </select>
            <Show when=move || chosen.get() != user.role>
                {
                    let (id, name) = (id.clone(), name.clone());
                    move || {
                        let role = chosen.get();
                        let id = id.clone();
                        view! {
                            <ConfirmButton label="Change role" class="change-role"
                                title=format!("Make {name} {}?", role.label())
                                consequence=format!("{name} can do what a {} may do from their next request on; what their old role allowed ends at once. Their key grants stay as they are.", role.label())
                                confirm="Change role"
                                on_confirm=move || on_change((id.clone(), role)) />
                        }
                    }
                }
            </Show>
        </span>
    }
}

/// A new password for a user, after a confirmation that says which grants it voids.
#[component]
fn PasswordResetForm(
    user: User,
    keys_held: usize,
    on_reset: impl Fn(String) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let name = user.username.clone();
    let consequence = format!(
        "{name} gets a new key pair and their sessions end. {} until someone who holds each grants it again.",
        match keys_held {
            0 => "They hold no keys, so no grant is lost".to_owned(),
            1 => "The 1 key granted to them is lost to them".to_owned(),
            n => format!("The {n} keys granted to them are lost to them"),
        }
    );
    view! {
        <span class="inline-form">
            <input type="password" autocomplete="new-password" aria-label=format!("New password for {name}")
                prop:value=password on:input=move |event| password.set(event_target_value(&event)) />
            <ConfirmButton label="Reset password" class="secondary reset-password"
                aria_label=format!("Reset {name}'s password")
                title=format!("Reset {name}'s password?") consequence confirm="Reset password"
                disabled=Signal::derive(move || password.read().is_empty())
                on_confirm=move || {
                    on_reset(password.get_untracked());
                    password.set(String::new());
                } />
        </span>
    }
}

/// A new user of the tenant, with a role the signed-in user may give.
#[component]
fn NewUserForm(tenant: Memo<String>, reload: Reload) -> impl IntoView {
    let session = use_session();
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
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch(NewUser {
            username: username.get_untracked(),
            password: password.get_untracked(),
            role: role.get_untracked(),
        });
    };
    let assignable = move || {
        let me = session.me();
        Role::ALL
            .into_iter()
            .filter(|role| me.as_ref().is_some_and(|me| me.user.role.may_assign(*role)))
            // Provider roles belong to the System account only.
            .filter(|role| !role.is_provider_staff() || tenant.get() == "system")
            .collect::<Vec<_>>()
    };
    view! {
        <details class="fold">
            <summary class="button-like">"New user"</summary>
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
                    {move || assignable().into_iter().map(|choice| view! {
                        <option value=choice.as_str() selected=move || choice == role.get()>{choice.label()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" disabled=create.pending()>"Create user"</button>
                {move || create.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            </form>
        </details>
    }
}
