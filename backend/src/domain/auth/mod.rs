//! Signing in: sessions, access tokens, API tokens, the secrets their credentials carry, and
//! login throttling. (The extractors that read them from a request are `http::guards`.)

pub mod api_token;
pub mod credential_secret;
pub mod device;
pub mod failed_sign_ins;
pub mod login;
pub mod password_change;
pub mod session;
pub mod signing_key;
pub mod throttle;
pub mod token;

use crate::infra::config::AuthPolicy;
use token::TokenSigner;

/// Authentication settings and keys, shared by every worker of an instance.
pub struct Auth {
    pub policy: AuthPolicy,
    pub tokens: TokenSigner,
    /// Signs and checks the browsers' device cookies (see [`device`]).
    pub devices: device::DeviceCookies,
}
