//! Pieces shared by several screens.

pub mod layout;
pub mod not_found;
pub mod player;
pub mod problem;
pub mod tenant_nav;
