use leptos::prelude::*;

use super::hold_card::HoldCard;
use super::new_hold::NewHoldForm;
use crate::api;
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// The tenant's legal holds, in force first, each with what it keeps; a form to place one.
#[component]
pub fn LegalHolds(tenant: Memo<String>) -> impl IntoView {
    let reload = Reload::new();
    let holds = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::holds(&tenant).await }
    });
    let release = reload.action(move |id: &String| {
        let (tenant, id) = (tenant.get_untracked(), id.clone());
        async move { api::release_hold(&tenant, &id).await }
    });

    view! {
        <section class="part" aria-labelledby="holds-title">
            <h2 id="holds-title">"Legal holds"</h2>
            <p>"A recording under a hold is never deleted: not by the policy, not by a person, not by destroying its key. A hold by search also keeps calls uploaded later that fit it."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || holds.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p id="no-holds" class="empty">"No holds."</p> }.into_any(),
                    Ok(mut list) => {
                        // In force first; each part newest first, as the server sends them.
                        list.sort_by_key(|hold| hold.released_at.is_some());
                        view! {
                            <ul id="holds" class="holds">
                                {list.into_iter().map(|hold| view! {
                                    <HoldCard tenant hold on_release=move |id| { release.dispatch(id); } />
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            {move || release.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            <NewHoldForm tenant on_placed=move || reload.now() />
        </section>
    }
}
