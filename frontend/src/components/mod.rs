//! Pieces shared by several screens.

pub mod archive_import;
pub mod badge;
pub mod browser_keygen;
pub mod confirm;
pub mod copy_button;
pub mod device;
pub mod filter_field;
pub mod key_import;
pub mod key_rotation;
pub mod keys;
pub mod layout;
pub mod local_player;
pub mod not_found;
pub mod player;
pub mod problem;
pub mod retention;
pub mod rewrap;
pub mod tenant_key;
pub mod tenant_nav;
pub mod tenant_switcher;
pub mod upload;
pub mod user_menu;
pub mod waveform;
