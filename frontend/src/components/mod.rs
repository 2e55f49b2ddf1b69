//! Pieces shared by several screens.

pub mod layout;
pub mod not_found;
