//! What both sides of callvault build on: the types of the REST API, the sealed-recording
//! format and the key handling, shared by the server (and its command line) and the web app,
//! which must read and write the very same bytes.
//!
//! It does no I/O beyond `std::io` traits and builds for the host and for
//! `wasm32-unknown-unknown`.

pub mod api;
pub mod chunked;
pub mod crypto;
pub mod key_chain;
pub mod keys;
pub mod sealed;
pub mod stored_secrets;
pub mod synthetic;
pub mod wav;
