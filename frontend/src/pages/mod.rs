//! One module per screen.

pub mod account;
pub mod audit;
pub mod home;
pub mod keys;
pub mod login;
pub mod overview;
pub mod recordings;
pub mod retention;
pub mod tenants;
pub mod tokens;
pub mod users;
