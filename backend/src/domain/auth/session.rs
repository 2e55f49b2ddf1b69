//! Opening a session after a successful login, and the credentials that carry it.

use actix_web::cookie::{Cookie, SameSite, time};
use callvault_shared::api::SessionInfo;
use callvault_shared::crypto::SecretBytes;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::credential_secret::CredentialSecret;
use super::{Auth, SESSION_COOKIE};
use crate::infra::entities::{session, user};

/// A new session and everything the client receives once.
pub struct OpenedSession {
    pub row: session::Model,
    pub secret: CredentialSecret,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
}

pub async fn open(
    db: &impl ConnectionTrait,
    auth: &Auth,
    user: &user::Model,
    user_key: &SecretBytes,
    origin: &str,
    user_agent: &str,
) -> anyhow::Result<OpenedSession> {
    let secret = CredentialSecret::generate()?;
    let id = Uuid::new_v4();
    let now = Utc::now();
    let row = session::ActiveModel {
        id: Set(id),
        user_id: Set(user.id),
        secret_hash: Set(secret.verifier()?),
        sealed_user_key: Set(secret.seal_user_key(id, user.id, user_key)?),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + auth.policy.session_lifetime),
        origin: Set(origin.chars().take(64).collect()),
        user_agent: Set(user_agent.chars().take(200).collect()),
    }
    .insert(db)
    .await?;
    let (access_token, access_token_expires_at) =
        auth.tokens.issue(user.id, id, &secret, row.expires_at)?;
    Ok(OpenedSession {
        row,
        secret,
        access_token,
        access_token_expires_at,
    })
}

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

pub fn info(row: &session::Model, current: Uuid) -> SessionInfo {
    SessionInfo {
        id: row.id,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        origin: row.origin.clone(),
        user_agent: row.user_agent.clone(),
        current: row.id == current,
    }
}
