use callvault_shared::api::NewTenant;
use leptos::prelude::*;
use leptos_router::components::A;
use web_sys::SubmitEvent;

use crate::api;
use crate::components::problem::Problem;
use crate::hooks::Reload;

/// The provider's tenants, and a new one.
#[component]
pub fn TenantsPage() -> impl IntoView {
    let reload = Reload::new();
    let tenants = LocalResource::new(move || {
        reload.track();
        api::tenants()
    });
    let (slug, set_slug) = signal(String::new());
    let (name, set_name) = signal(String::new());
    let create = reload.action_then(
        |tenant: &NewTenant| {
            let tenant = tenant.clone();
            async move { api::create_tenant(&tenant).await }
        },
        move |_| {
            set_slug.set(String::new());
            set_name.set(String::new());
        },
    );
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        create.dispatch(NewTenant {
            slug: slug.get_untracked(),
            name: name.get_untracked(),
        });
    };

    view! {
        <section class="panel" aria-labelledby="tenants-title">
            <h1 id="tenants-title">"Tenants"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || tenants.get().map(|result| match result {
                    Ok(list) => view! {
                        <table id="tenants">
                            <thead><tr><th>"Tenant"</th><th>"Slug"</th><th>"Since"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|tenant| view! {
                                    <tr>
                                        <td><A href=format!("/t/{}", tenant.slug)>{tenant.name.clone()}</A></td>
                                        <td><code>{tenant.slug.clone()}</code></td>
                                        <td>{tenant.created_at.format("%Y-%m-%d").to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <h2>"New tenant"</h2>
            <form id="new-tenant" class="form" on:submit=on_submit>
                <label for="tenant-slug">"Slug (a-z, 0-9, -)"</label>
                <input id="tenant-slug" required prop:value=slug
                    on:input=move |event| set_slug.set(event_target_value(&event)) />
                <label for="tenant-name">"Name"</label>
                <input id="tenant-name" required prop:value=name
                    on:input=move |event| set_name.set(event_target_value(&event)) />
                <button type="submit" disabled=create.pending()>"Create tenant"</button>
                {move || create.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            </form>
        </section>
    }
}
