//! The server's integration tests, in one binary: each test starts a real `Application` on a
//! free port against a fresh database (SQLite, or PostgreSQL when
//! `CALLVAULT_TEST_POSTGRES_URL` is set) and a fresh object directory.

mod cli;
mod health;
mod helpers;
mod offline_cli;
mod openapi;
mod startup;
mod web_app;
