use callvault_shared::api::{NewGrant, User};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError};
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// Grants a key to one of the tenant's users.
#[component]
pub fn GrantForm(
    tenant: String,
    key_id: String,
    users: Vec<User>,
    reload: Reload,
) -> impl IntoView {
    let (grantee, set_grantee) = signal(String::new());
    let grant = reload.action(move |user: &String| {
        let (tenant, id, user) = (tenant.clone(), key_id.clone(), user.clone());
        async move {
            if user.is_empty() {
                return Err(ApiError::local("Choose the user to grant this key to."));
            }
            let user_id = user
                .parse()
                .map_err(|_| ApiError::local("That user is not known here: reload the page."))?;
            api::grant(&tenant, &id, &NewGrant { user_id }).await
        }
    });
    let on_grant = move |event: SubmitEvent| {
        event.prevent_default();
        grant.dispatch(grantee.get_untracked());
    };
    view! {
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
    }
}
