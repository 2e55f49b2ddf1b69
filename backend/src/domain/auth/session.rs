//! Opening a session after a successful login, and the credentials that carry it.

use callvault_shared::api::SessionInfo;
use callvault_shared::crypto::SecretBytes;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::Auth;
use super::credential_secret::CredentialSecret;
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
