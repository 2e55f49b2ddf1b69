//! Secrets sealed for storage: under a password (a user's own private key), or to an RSA
//! public key (a grant: an encryption key's private half, for one user).

mod password;
mod public_key;

pub use password::{PasswordParams, open_with_password, seal_with_password};
pub use public_key::{open_with_private_key, seal_to_public_key};
