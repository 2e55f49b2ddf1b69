use leptos::prelude::*;
use leptos_router::components::A;

/// The screens of one tenant.
#[component]
pub fn TenantNav(tenant: String) -> impl IntoView {
    let base = format!("/t/{tenant}");
    view! {
        <nav class="tenant-nav" aria-label="Tenant">
            <A href=base.clone() exact=true>"Encryption"</A>
            <A href=format!("{base}/users")>"Users"</A>
            <A href=format!("{base}/keys")>"Keys"</A>
            <A href=format!("{base}/recordings")>"Recordings"</A>
            <A href=format!("{base}/tokens")>"API tokens"</A>
            <A href=format!("{base}/audit")>"Audit log"</A>
        </nav>
    }
}

/// The `:tenant` of the current path.
pub fn tenant_param() -> Memo<String> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| params.read().get("tenant").unwrap_or_default())
}
