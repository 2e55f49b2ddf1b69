//! The HTTP layer: the actix-web application and everything that speaks HTTP.

pub mod access_log;
pub mod access_sync;
pub mod api_docs;
pub mod audio_response;
pub mod client_address;
pub mod error;
pub mod guards;
pub mod idempotency_key;
pub mod json;
pub mod metrics_endpoint;
pub mod openapi;
pub mod path_params;
pub mod permissions_doc;
pub mod request_id;
pub mod request_span;
pub mod route_table;
pub mod routes;
pub mod server_timing;
pub mod signed_statement;
pub mod startup;
pub mod state;
pub mod web_app;
