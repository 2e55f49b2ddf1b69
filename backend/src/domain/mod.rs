//! What callvault does, independent of how it is asked: functions over the database and the
//! object store that take plain values and write their audit records in the same transaction
//! as their changes.

pub mod accounts;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod encryption_keys;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod lease;
pub mod recordings;
pub mod tenants;
