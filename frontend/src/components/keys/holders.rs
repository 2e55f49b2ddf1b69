use callvault_shared::api::KeyHolder;
use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// Who holds a key, each with the way to revoke their grant.
#[component]
pub fn HolderList(
    tenant: String,
    key_id: String,
    holders: Vec<KeyHolder>,
    reload: Reload,
) -> impl IntoView {
    let names = holders
        .iter()
        .map(|holder| holder.username.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let revoke = reload.action(move |user: &String| {
        let (tenant, id, user) = (tenant.clone(), key_id.clone(), user.clone());
        async move { api::revoke(&tenant, &id, &user).await }
    });
    view! {
        <p class="holders">{format!("Held by: {}", if names.is_empty() { "nobody on this server".to_owned() } else { names })}</p>
        <ul class="holder-list">
            {holders.into_iter().map(|holder| {
                let user = holder.user_id.to_string();
                let label = format!("Revoke {}'s grant", holder.username);
                view! {
                    <li>
                        {holder.username.clone()}
                        " "
                        <button type="button" class="secondary revoke" aria-label=label
                            on:click=move |_| { revoke.dispatch(user.clone()); }>"Revoke"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        {move || revoke.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
    }
}
