//! The callvault server: configuration, start-up, the REST API under `/api/v1`, and the web
//! app it serves. `main.rs` is only the command line around it.

pub mod accounts;
pub mod api_docs;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod database;
pub mod entities;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod json;
pub mod keys;
pub mod openapi;
pub mod outage;
pub mod password;
pub mod permissions_doc;
pub mod recordings;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod web_app;
