//! The server's integration tests, in one binary: each test starts a real `Application` on a
//! free port against a fresh database (SQLite, or PostgreSQL when
//! `CALLVAULT_TEST_POSTGRES_URL` is set) and a fresh object directory.

mod api_tokens;
mod archives;
mod audit;
mod audit_checkpoint;
mod auth;
mod bad_input;
mod cli;
mod crash;
mod dependencies;
mod durability;
mod fixtures;
mod hardening;
mod health;
mod helpers;
mod hostile_archives;
mod instances;
mod keys;
mod leases;
mod matrix;
mod migrations;
mod offline_cli;
mod openapi;
mod operations;
mod outages;
mod raw_zip;
mod recordings;
mod restore;
mod retention;
mod revocation_reaches_every_instance;
mod rewrap_job;
mod seeking;
mod sign_in_throttle;
mod startup;
mod tenant_held;
mod tokens;
mod users;
mod web_app;
