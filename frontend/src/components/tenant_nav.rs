use callvault_shared::api::Permission;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::use_session;

/// The screens of one tenant that the signed-in user's role may use: each shows when the role
/// holds any of its permissions.
#[component]
pub fn TenantNav(tenant: String) -> impl IntoView {
    let session = use_session();
    let base = format!("/t/{tenant}");
    let screens = [
        ("", "Encryption", &[Permission::KeysRead][..]),
        ("/recordings", "Recordings", &[Permission::RecordingsRead]),
        ("/keys", "Keys", &[Permission::KeysRead]),
        ("/users", "Users", &[Permission::UsersRead]),
        ("/tokens", "API tokens", &[Permission::TokensManage]),
        (
            "/retention",
            "Retention",
            &[Permission::TenantUpdate, Permission::HoldsManage],
        ),
        ("/audit", "Audit log", &[Permission::AuditRead]),
    ];
    view! {
        <nav class="tenant-nav" aria-label="Tenant">
            {screens.into_iter().map(|(path, name, permissions)| {
                let href = format!("{base}{path}");
                view! {
                    <Show when=move || permissions.iter().any(|p| session.can(*p))>
                        <A href=href.clone() exact=true>{name}</A>
                    </Show>
                }
            }).collect_view()}
        </nav>
    }
}

/// The `:tenant` of the current path.
pub fn tenant_param() -> Memo<String> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get("tenant").unwrap_or_default())
}
