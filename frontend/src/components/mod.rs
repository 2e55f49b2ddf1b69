//! Pieces shared by several screens.

pub mod archive_import;
pub mod key_import;
pub mod layout;
pub mod not_found;
pub mod player;
pub mod problem;
pub mod tenant_nav;
