use callvault_shared::api::{Me, Role};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;

use crate::api::{self, ApiError};
use crate::session::use_session;

/// Where the app opens: provider staff on their tenants; a tenant administrator on the
/// encryption check-list until it is complete, then on the recordings; everyone else on the
/// screen their role is for. Signed out, the sign-in screen.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let landing = LocalResource::new(move || {
        let state = session.state();
        async move {
            match state? {
                Ok(me) => Some(landing(&me).await),
                Err(ApiError::SignedOut(_)) => Some("/login".to_owned()),
                Err(_) => None,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(path)) = landing.get() {
            let replace = NavigateOptions {
                replace: true,
                ..Default::default()
            };
            navigate(&path, replace);
        }
    });
    view! {
        {move || match session.state() {
            Some(Err(error)) if !matches!(error, ApiError::SignedOut(_)) => {
                view! { <p class="panel error" role="alert">{error.to_string()}</p> }.into_any()
            }
            _ => view! { <p class="panel" aria-busy="true">"Loading…"</p> }.into_any(),
        }}
    }
}

/// The screen `me` starts on.
async fn landing(me: &Me) -> String {
    let own = format!("/t/{}", me.tenant.slug);
    match me.user.role {
        Role::Root | Role::ProviderAdmin => "/tenants".to_owned(),
        Role::TenantAdmin => {
            let complete = api::encryption(&me.tenant.slug)
                .await
                .is_ok_and(|settings| {
                    let list = settings.checklist;
                    list.key_present
                        && list.key_exported
                        && list.grants_present
                        && list.encryption_on
                });
            if complete {
                format!("{own}/recordings")
            } else {
                own
            }
        }
        Role::Supervisor | Role::User => format!("{own}/recordings"),
        Role::Auditor => format!("{own}/audit"),
    }
}
