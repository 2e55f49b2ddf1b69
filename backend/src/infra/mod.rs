//! Infrastructure: settings, storage of rows and bytes, logs, password hashing.

pub mod audit_key;
pub mod block_cache;
pub mod commit_lane;
pub mod config;
pub mod database;
pub mod entities;
pub mod metrics;
pub mod outage;
pub mod password;
pub mod statement_count;
pub mod storage;
pub mod telemetry;
pub mod trusted_proxies;
