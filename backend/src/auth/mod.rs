//! Who is asking: logins, sessions, access tokens, and the extractors that turn a request
//! into a principal acting in a tenant with a permission.

pub mod access;
pub mod api_token;
pub mod principal;
pub mod secret;
pub mod session;
pub mod signed_in_first;
pub mod signing_key;
pub mod throttle;
pub mod token;

use crate::config::AuthPolicy;
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
