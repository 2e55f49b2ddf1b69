use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::session::use_current_tenant;

/// Provider staff choose the tenant they work in; "All tenants" is the provider's list.
#[component]
pub fn TenantSwitcher() -> impl IntoView {
    let current = use_current_tenant();
    let tenants = LocalResource::new(api::tenants);
    let navigate = use_navigate();
    view! {
        <label class="tenant-switcher">
            <span class="visually-hidden">"Tenant"</span>
            <select id="tenant-switcher" on:change=move |event| {
                let slug = event_target_value(&event);
                let path = if slug.is_empty() { "/tenants".to_owned() } else { format!("/t/{slug}") };
                navigate(&path, Default::default());
            }>
                <option value="" selected=move || current.slug.get().is_none()>"All tenants"</option>
                {move || tenants.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|tenant| {
                    let slug = tenant.slug.clone();
                    view! {
                        <option value=tenant.slug.clone() selected=move || current.slug.get().as_deref() == Some(slug.as_str())>
                            {tenant.name}
                        </option>
                    }
                }).collect_view()}
            </select>
        </label>
    }
}
