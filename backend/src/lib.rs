//! The callvault server, in three layers and their entry points:
//!
//! - [`http`]: the actix-web application: start-up, routes, guards, errors, the OpenAPI
//!   document, the web app and its docs page. Handlers extract, call the domain, map results.
//! - [`domain`]: what callvault does: accounts and sign-in, encryption keys and grants,
//!   recordings, archives, jobs and the audit log. It never sees actix types.
//! - [`infra`]: configuration, the database and its entities, the object store, telemetry,
//!   password hashing, and telling an outage from a fault. It knows neither of the above.
//! - [`cli`]: the `callvault` commands besides `serve`, over the same domain.
//!
//! `main.rs` is only the command line around it.

pub mod cli;
pub mod domain;
pub mod http;
pub mod infra;
