//! Sessions: opening one after a successful login and the credentials that carry it, signing
//! out, renewing the access token, and a user's view and ending of their own sessions.

use callvault_shared::api::{AccessToken, Me, Permission, SessionInfo};
use callvault_shared::crypto::SecretBytes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ModelTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::Auth;
use super::credential_secret::CredentialSecret;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{session, tenant, user};

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

/// Signs out: `session` of `user` ends now, on every instance, and with it the key access it
/// held.
pub async fn sign_out(
    db: &DatabaseConnection,
    user: &user::Model,
    session: &session::Model,
    actor: &Actor,
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    session.clone().delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, actor, "auth.logout").object("session", session.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The signed-in user, their tenant, their session and what their role allows.
pub async fn describe(
    db: &DatabaseConnection,
    user: &user::Model,
    session: &session::Model,
    secret: &CredentialSecret,
) -> Result<Me, DomainError> {
    let tenant = tenant::Entity::find_by_id(user.tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::internal(anyhow::anyhow!("a user without a tenant")))?;
    let role = user.role;
    Ok(Me {
        user: user.to_api(),
        tenant: tenant.to_api(),
        session: info(session, session.id),
        permissions: Permission::ALL
            .into_iter()
            .filter(|permission| role.allows(*permission))
            .collect(),
        csrf_token: secret.csrf_token()?,
    })
}

/// A new access token for `session`, which never outlives it.
pub fn renew(
    auth: &Auth,
    user: &user::Model,
    session: &session::Model,
    secret: &CredentialSecret,
) -> Result<AccessToken, DomainError> {
    let (access_token, expires_at) =
        auth.tokens
            .issue(user.id, session.id, secret, session.expires_at)?;
    Ok(AccessToken {
        access_token,
        expires_at,
    })
}

/// The user's open sessions, newest first; `current` is marked.
pub async fn list(
    db: &DatabaseConnection,
    user_id: Uuid,
    current: Uuid,
) -> Result<Vec<SessionInfo>, DomainError> {
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows.iter().map(|row| info(row, current)).collect())
}

/// Ends one of `user`'s sessions (another device, or this one). Scoped by the user: someone
/// else's session is a missing one.
pub async fn end(
    db: &DatabaseConnection,
    user: &user::Model,
    id: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?
        .rows_affected;
    if ended == 0 {
        return Err(DomainError::NotFound(format!("no session {id}")));
    }
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, actor, "auth.session_end").object("session", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
