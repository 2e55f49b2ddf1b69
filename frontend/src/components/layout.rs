use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::tenant_nav::TenantNav;
use crate::components::tenant_switcher::TenantSwitcher;
use crate::components::user_menu::UserMenu;
use crate::session::{CurrentTenant, Session};

/// The frame around every screen: the product's name, the tenant in view (a switcher for
/// provider staff), the user's menu, the navigation their role may use, the screen itself.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let session = Session::provide();
    let current = CurrentTenant::provide();
    let staff = move || {
        session
            .me()
            .is_some_and(|me| me.user.role.is_provider_staff())
    };
    // The tenant in view; a tenant's own people are always in theirs.
    let tenant_name = move || {
        current
            .name()
            .or_else(|| session.me().filter(|_| !staff()).map(|me| me.tenant.name))
    };
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="app-header">
            <A href="/" attr:class="brand">"callvault"</A>
            <Show when=move || session.me().is_some()>
                <Show when=staff fallback=move || view! {
                    <span class="tenant-name" id="current-tenant">{tenant_name}</span>
                }>
                    <TenantSwitcher />
                </Show>
                <nav aria-label="Main" class="main-nav">
                    <Show when=staff>
                        <A href="/tenants" attr:id="go-tenants">"Tenants"</A>
                    </Show>
                </nav>
                <UserMenu />
            </Show>
        </header>
        {move || current.slug.get().filter(|_| session.me().is_some()).map(|slug| view! { <TenantNav tenant=slug /> })}
        <main id="content" class="app-main">{children()}</main>
    }
}

/// Whether the window is wider than a phone's (the width the style sheet folds at).
pub fn wide_screen() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width > 640.0)
}
