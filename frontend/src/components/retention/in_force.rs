use callvault_shared::api::{Permission, RetentionSettings, RetentionUpdate};
use leptos::prelude::*;

use super::policy::described;
use crate::api;
use crate::session::use_session;

/// The policy in force and a pending one, with its undo.
#[component]
pub fn InForce(
    settings: RetentionSettings,
    save: Action<RetentionUpdate, Result<RetentionSettings, api::ApiError>>,
) -> impl IntoView {
    let session = use_session();
    let in_force = settings.policy.clone();
    view! {
        <div id="policy-in-force">
            {described(&settings.policy).into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
        </div>
        {settings.pending.map(|pending| {
            let undo = RetentionUpdate { policy: in_force.clone(), grace_days: None };
            view! {
                <div id="pending-policy" class="warning" role="status">
                    <p><strong>{format!("A shorter policy applies from {} UTC:", pending.from.format("%Y-%m-%d %H:%M"))}</strong></p>
                    {described(&pending.policy).into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                    <p>"Until then nothing is deleted under it, and it can be undone."</p>
                    <Show when=move || session.can(Permission::TenantUpdate)>
                        <button type="button" class="secondary" id="undo-policy"
                            on:click={
                                let undo = undo.clone();
                                move |_| { save.dispatch(undo.clone()); }
                            }>"Undo: keep the policy in force"</button>
                    </Show>
                </div>
            }
        })}
    }
}
