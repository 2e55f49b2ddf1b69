use leptos::prelude::*;
use leptos_router::components::A;

/// The frame around every screen: the product's name, the navigation, the screen itself.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="app-header">
            <A href="/" attr:class="brand">"callvault"</A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Home"</A></li>
                    <li><A href="/account">"Account"</A></li>
                </ul>
            </nav>
        </header>
        <main id="content" class="app-main">{children()}</main>
    }
}
