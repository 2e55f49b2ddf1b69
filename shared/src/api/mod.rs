//! Request and response bodies of the REST API under `/api/v1`, and its probes.

mod auth;
mod health;
mod problem;
mod role;

pub use auth::LoginRequest;
pub use health::{CheckState, Health, Readiness};
pub use problem::Problem;
pub use role::Role;
