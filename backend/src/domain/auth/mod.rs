//! Signing in: sessions, access tokens, API tokens, the secrets their credentials carry, and
//! login throttling. (The extractors that read them from a request are `http::guards`.)

pub mod api_token;
pub mod credential_secret;
pub mod session;
pub mod signing_key;
pub mod throttle;
pub mod token;

use crate::infra::config::AuthPolicy;
use token::TokenSigner;

/// The browser's credential: `<session id>.<secret>`, HttpOnly, Secure, SameSite=Strict.
pub const SESSION_COOKIE: &str = "callvault_session";
/// Unsafe requests authenticated by the cookie must repeat the session's CSRF token here.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Authentication settings and keys, shared by every worker of an instance.
pub struct Auth {
    pub policy: AuthPolicy,
    pub tokens: TokenSigner,
}
