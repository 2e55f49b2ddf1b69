use callvault_shared::api::{Permission, RetentionPolicy, RetentionUpdate};
use leptos::prelude::*;

use super::in_force::InForce;
use super::policy_form::PolicyForm;
use crate::api;
use crate::components::problem::Problem;
use crate::hooks::Reload;
use crate::session::use_session;

/// How long a kind of recording is kept, in words: "365 days", "forever".
pub fn kept(days: Option<u32>) -> String {
    match days {
        Some(1) => "1 day".into(),
        Some(days) => format!("{days} days"),
        None => "forever".into(),
    }
}

/// A policy in one sentence per line, as the screen shows the one in force.
pub fn described(policy: &RetentionPolicy) -> Vec<String> {
    let mut lines = vec![format!("Recordings are kept {}.", kept(policy.keep_days))];
    for rule in &policy.rules {
        let which = match (&rule.tag, rule.direction) {
            (Some(tag), Some(direction)) => {
                format!("{} calls tagged “{tag}”", direction.label())
            }
            (Some(tag), None) => format!("Calls tagged “{tag}”"),
            (None, Some(direction)) => format!("{} calls", direction.label()),
            (None, None) => "Every call".into(),
        };
        lines.push(format!("{which} are kept {}.", kept(rule.keep_days)));
    }
    lines
}

/// The tenant's retention policy: the one in force, a shortened one waiting out its grace
/// (with an undo), and, for those who may change it, a form whose effect is counted before
/// it is saved.
#[component]
pub fn RetentionPolicyPanel(tenant: Memo<String>) -> impl IntoView {
    let session = use_session();
    let reload = Reload::new();
    let settings = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        async move { api::retention(&tenant).await }
    });
    let save = reload.action(move |update: &RetentionUpdate| {
        let (tenant, update) = (tenant.get_untracked(), update.clone());
        async move { api::set_retention(&tenant, &update).await }
    });

    view! {
        <section class="part" aria-labelledby="policy-title">
            <h2 id="policy-title">"Policy"</h2>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => view! {
                        <InForce settings=settings.clone() save />
                        <Show when=move || session.can(Permission::TenantUpdate)>
                            <PolicyForm tenant settings=settings.clone() save />
                        </Show>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
