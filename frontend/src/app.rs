use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::Layout;
use crate::components::not_found::NotFound;
use crate::pages::home::HomePage;
use crate::pages::login::LoginPage;

/// The router: every screen of the app has its path here.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/login") view=LoginPage />
                </Routes>
            </Layout>
        </Router>
    }
}
