//! The crate both sides of callvault build on: the types of the REST API, shared by the
//! server (which publishes them in its OpenAPI document) and the web app (which calls it).
//!
//! It does no I/O and builds for the host and for `wasm32-unknown-unknown`.

pub mod api;
