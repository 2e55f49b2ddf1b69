//! Tenant-held mode against the provider's own staff: in a tenant that holds its own keys,
//! nothing that lowers protection happens without a statement signed by the tenant's key.
//! Role checks cannot give that (provider staff rightly manage the tenant's users, so they can
//! make an account that passes any role check); a signature by a key the provider never saw
//! can. See `docs/tenant-held.md`.
//!
//! The chain starts with a pinned public key, the one trust-on-first-use step: the tenant's
//! active public key when it switches to tenant-held, or, if it switched with none, the first
//! public key it imports. Every later link is a change the key active at that point signed.

mod begin;
pub mod chain;
mod plaintext;
pub mod signature;

pub use begin::begin;
pub use chain::{chain, pin};
pub use plaintext::refuse_plaintext_to_staff;
pub use signature::{Authorized, Target, authorize, statement_to_sign};
