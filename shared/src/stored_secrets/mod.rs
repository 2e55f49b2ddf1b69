//! Secrets sealed for storage: under a password (a user's own private key), under a random
//! secret the client holds (a session's copy of the user key), or to an RSA public key (a
//! grant: an encryption key's private half, for one user).

mod password;
mod public_key;
mod with_key;

pub use password::{PasswordParams, open_with_password, seal_with_password};
pub use public_key::{open_with_private_key, seal_to_public_key};
pub use with_key::{derive_subkey, open_with_key, seal_with_key};
