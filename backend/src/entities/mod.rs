//! sea-orm entities: one file per table.

pub mod audit_event;
pub mod login_throttle;
pub mod server_secret;
pub mod session;
pub mod tenant;
pub mod user;
