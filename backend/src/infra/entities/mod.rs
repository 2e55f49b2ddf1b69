//! sea-orm entities: one file per table.

pub mod api_token;
pub mod audit_event;
pub mod encryption_key;
pub mod idempotency_key;
pub mod job;
pub mod key_grant;
pub mod lease;
pub mod login_throttle;
pub mod recording;
pub mod server_secret;
pub mod session;
pub mod tenant;
pub mod user;
