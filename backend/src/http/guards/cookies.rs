//! The browser's credential as a cookie: `<session id>.<secret>`, HttpOnly, Secure,
//! SameSite=Strict, for the whole origin.

use actix_web::cookie::{Cookie, SameSite, time};
use uuid::Uuid;

use crate::domain::auth::credential_secret::CredentialSecret;

/// The browser's credential: `<session id>.<secret>`, HttpOnly, Secure, SameSite=Strict.
pub const SESSION_COOKIE: &str = "callvault_session";
/// Unsafe requests authenticated by the cookie must repeat the session's CSRF token here.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// The session cookie: HttpOnly (no script reads it), Secure, SameSite=Strict (no other site's
/// page sends it), for the whole origin, ending with the session.
pub fn cookie(
    session_id: Uuid,
    secret: &CredentialSecret,
    max_age: chrono::Duration,
) -> Cookie<'static> {
    Cookie::build(
        SESSION_COOKIE,
        format!("{}.{}", session_id.simple(), secret.encode()),
    )
    .http_only(true)
    .secure(true)
    .same_site(SameSite::Strict)
    .path("/")
    .max_age(time::Duration::seconds(max_age.num_seconds()))
    .finish()
}

/// A browser that signed in to an account: signed by the server, sent only to the login, kept
/// for 90 days (see `domain::auth::device`).
pub const DEVICE_COOKIE: &str = "callvault_device";

pub fn device_cookie(value: String) -> Cookie<'static> {
    Cookie::build(DEVICE_COOKIE, value)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/api/v1/auth/login")
        .max_age(time::Duration::days(90))
        .finish()
}

/// A cookie that makes the browser forget the session cookie.
pub fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .finish();
    cookie.make_removal();
    cookie
}

/// Reads `<session id>.<secret>`.
pub fn parse_cookie(value: &str) -> Option<(Uuid, CredentialSecret)> {
    let (id, secret) = value.split_once('.')?;
    Some((Uuid::try_parse(id).ok()?, CredentialSecret::decode(secret)?))
}
