//! The harness of the end-to-end tests: the real `callvault` binary on a free port with a
//! fresh data directory, and Debian's Chromium driven through chromedriver (WebDriver).
//!
//! `cargo xtask test` builds the server and the web app first and tells the tests where they
//! are (`CALLVAULT_E2E_SERVER`, `CALLVAULT_E2E_WEB_DIR`).

mod browser;
mod process;
mod recording_proxy;
mod seed;
mod server;
pub mod steps;

pub use browser::Browser;
pub use recording_proxy::RecordingProxy;
pub use seed::Seed;
pub use server::{ROOT_PASSWORD, Server};
