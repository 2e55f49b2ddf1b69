use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::components::not_found::NotFound;
use crate::pages::account::AccountPage;
use crate::pages::audit::AuditPage;
use crate::pages::home::HomePage;
use crate::pages::keys::KeysPage;
use crate::pages::login::LoginPage;
use crate::pages::overview::OverviewPage;
use crate::pages::recordings::RecordingsPage;
use crate::pages::retention::RetentionPage;
use crate::pages::tenants::TenantsPage;
use crate::pages::tokens::TokensPage;
use crate::pages::users::UsersPage;

/// The router: every screen of the app has its path here.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/tenants") view=TenantsPage />
                    <Route path=path!("/account") view=AccountPage />
                    <Route path=path!("/t/:tenant") view=OverviewPage />
                    <Route path=path!("/t/:tenant/users") view=UsersPage />
                    <Route path=path!("/t/:tenant/keys") view=KeysPage />
                    <Route path=path!("/t/:tenant/recordings") view=RecordingsPage />
                    <Route path=path!("/t/:tenant/tokens") view=TokensPage />
                    <Route path=path!("/t/:tenant/retention") view=RetentionPage />
                    <Route path=path!("/t/:tenant/audit") view=AuditPage />
                </Routes>
            </Layout>
        </Router>
    }
}
