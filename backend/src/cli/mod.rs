//! The commands of `callvault` besides `serve`: the offline ones (the disaster-recovery tool,
//! which needs no server and no database: a sealed file and an exported key file are enough),
//! and `admin`, which works on the database for an operator who is locked out.

pub mod admin;
pub mod audit;
pub mod backup;
pub mod check;
pub mod demo;
pub mod first_start;
mod inspect;
mod key_file;
mod keygen;
mod open;
mod output;
mod passphrase;
pub mod retention;
mod seal;
mod tenant_sign;
mod verify;

pub use inspect::inspect;
pub use keygen::keygen;
pub use open::{ByteRange, open};
pub use seal::seal;
pub use tenant_sign::sign as tenant_sign;
pub use verify::verify;

/// The implementation the command line uses: aws-lc-rs.
type Crypto = callvault_shared::crypto::Native;
