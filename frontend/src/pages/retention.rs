use callvault_shared::api::Permission;
use leptos::prelude::*;

use crate::components::retention::{DeletionLog, LegalHolds, RetentionPolicyPanel};
use crate::components::tenant_nav::tenant_param;
use crate::session::{tenant_title, use_session};

/// How long the tenant keeps its recordings, the legal holds that keep some regardless, and
/// the certificates of what the policy deleted. Each part shows for the roles that may see it.
#[component]
pub fn RetentionPage() -> impl IntoView {
    let session = use_session();
    let tenant = tenant_param();
    view! {
        <section class="panel" aria-labelledby="retention-title">
            <h1 id="retention-title">{tenant_title("Retention")}</h1>
            <p>"Recordings are deleted, with a certificate each, once the policy's days have passed since the call started; the check runs every ten minutes. A shorter policy waits out a grace period first, so that a mistake can be undone."</p>
            <Show when=move || session.can(Permission::TenantRead)>
                <RetentionPolicyPanel tenant />
            </Show>
            <Show when=move || session.can(Permission::HoldsManage)>
                <LegalHolds tenant />
            </Show>
            <Show when=move || session.can(Permission::AuditRead)>
                <DeletionLog tenant />
            </Show>
        </section>
    }
}
