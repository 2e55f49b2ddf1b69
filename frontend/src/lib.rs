//! The callvault web app: Leptos, rendered in the browser, served by the callvault server.
//! It talks to the server only through the typed client in [`api`].

pub mod api;
mod app;
mod components;
mod hooks;
mod pages;
mod session;

pub use app::App;

/// Entry point, called by wasm-bindgen once the module is instantiated.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
