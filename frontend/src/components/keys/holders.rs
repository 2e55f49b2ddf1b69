use callvault_shared::api::{KeyHolder, Permission};
use leptos::prelude::*;

use crate::api;
use crate::components::confirm::ConfirmButton;
use crate::components::problem::Problem;
use crate::hooks::Reload;
use crate::session::use_session;

/// Who holds a key, each with the way to revoke their grant, which says who is left.
#[component]
pub fn HolderList(
    tenant: String,
    key_id: String,
    holders: Vec<KeyHolder>,
    recordings: u64,
    /// Whether grants on this key may be revoked (a usable key with a private half).
    revocable: bool,
    reload: Reload,
) -> impl IntoView {
    let session = use_session();
    let names = holders
        .iter()
        .map(|holder| holder.username.clone())
        .collect::<Vec<_>>();
    let revoke = reload.action(move |user: &String| {
        let (tenant, id, user) = (tenant.clone(), key_id.clone(), user.clone());
        async move { api::revoke(&tenant, &id, &user).await }
    });
    let nobody = names.is_empty();
    view! {
        <div class="holders">
        <span>"Held by"</span>
        {nobody.then(|| view! { <span class="muted">"nobody on this server"</span> })}
        <ul class="holder-list" aria-label="Holders">
            {holders.into_iter().map(|holder| {
                let user = holder.user_id.to_string();
                let name = holder.username.clone();
                let others = names.iter().filter(|other| **other != name).cloned().collect::<Vec<_>>();
                let left = if others.is_empty() { "nobody".to_owned() } else { others.join(", ") };
                view! {
                    <li>
                        <span class="holder-name">{holder.username.clone()}</span>
                        <span class="muted">{format!(" since {}", holder.granted_at.format("%Y-%m-%d"))}</span>
                        <Show when=move || revocable && session.can(Permission::KeysManage)>
                            {
                                let (user, name, left) = (user.clone(), name.clone(), left.clone());
                                view! {
                                    <ConfirmButton label="Revoke" class="secondary revoke"
                                        aria_label=format!("Revoke {name}'s grant")
                                        title=format!("Revoke {name}'s grant?")
                                        consequence=format!("{name} can no longer play the {recordings} recordings sealed with this key. They stay playable only by {left}.")
                                        confirm="Revoke" on_confirm=move || { revoke.dispatch(user.clone()); } />
                                }
                            }
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
        </div>
        {move || revoke.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
    }
}
