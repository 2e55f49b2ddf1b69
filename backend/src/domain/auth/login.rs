//! Signing in with a username and password: the throttle, the password, the user key and a
//! new session, each attempt in the audit log.

use callvault_shared::api::{AuditOutcome, LoginRequest, LoginResponse, WRONG_CREDENTIALS};
use callvault_shared::crypto::SecretBytes;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::credential_secret::CredentialSecret;
use super::{Auth, session, throttle};
use crate::domain::accounts::user_key;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{tenant, user};
use crate::infra::password;

/// How a sign-in ended, when it did not fail.
pub enum Login {
    /// Signed in: the answer's body, and what the session cookie carries.
    SignedIn(Box<SignedIn>),
    /// Too many failures for the username or the address: try again after `retry_after_secs`.
    Throttled {
        detail: String,
        retry_after_secs: u64,
    },
}

/// A new session: the body the client receives, and the session's id and secret for its cookie.
pub struct SignedIn {
    pub response: LoginResponse,
    pub session_id: Uuid,
    pub secret: CredentialSecret,
}

/// Signs `request`'s user in from `origin` (the client's address) with `user_agent`.
///
/// After 10 failures within 15 minutes for one username (whether it exists or not) or from one
/// address, further attempts are throttled for 15 minutes.
pub async fn sign_in(
    db: &DatabaseConnection,
    auth: &Auth,
    request: LoginRequest,
    origin: &str,
    user_agent: &str,
) -> Result<Login, DomainError> {
    let LoginRequest { username, password } = request;
    let password = Zeroizing::new(password);
    let subjects = [throttle::account(&username), throttle::address(origin)];
    let user = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(db)
        .await?;
    let log_tenant = match &user {
        Some(user) => user.tenant_id,
        None => system_tenant_id(db).await?,
    };
    let actor = Actor {
        id: user.as_ref().map(|user| user.id),
        name: username,
        origin: origin.to_owned(),
    };

    if let Some(until) = throttle::locked_until(db, &subjects).await? {
        return throttled(db, log_tenant, &actor, until).await;
    }

    let verified = password::verify(
        user.as_ref().map(|user| user.password_hash.clone()),
        password.clone(),
    )
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        count_failure(db, subjects, log_tenant, &actor).await?;
        return Err(DomainError::SignedOut(WRONG_CREDENTIALS.into()));
    };
    let [account, _] = subjects;
    throttle::clear(db, account).await?;

    let (user, user_key) = unlock_user_key(db, user, password).await?;
    open_session(db, auth, user, &user_key, &actor, user_agent)
        .await
        .map(|signed_in| Login::SignedIn(Box::new(signed_in)))
}

/// A locked subject: the attempt is recorded as denied, and the client told when to retry.
async fn throttled(
    db: &DatabaseConnection,
    log_tenant: Uuid,
    actor: &Actor,
    until: DateTime<Utc>,
) -> Result<Login, DomainError> {
    audit::record(
        db,
        AuditEntry::new(log_tenant, actor, "auth.login")
            .outcome(AuditOutcome::Denied)
            .details(serde_json::json!({ "reason": "locked" })),
    )
    .await?;
    let retry_after_secs = (until - Utc::now()).num_seconds().max(1) as u64;
    Ok(Login::Throttled {
        detail: format!(
            "too many failed sign-ins; try again in {} minutes",
            retry_after_secs.div_ceil(60)
        ),
        retry_after_secs,
    })
}

/// Wrong credentials: a failure counted against the username and the address, and recorded.
async fn count_failure(
    db: &DatabaseConnection,
    subjects: [String; 2],
    log_tenant: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    for subject in subjects {
        throttle::record_failure(db, subject).await?;
    }
    audit::record(
        db,
        AuditEntry::new(log_tenant, actor, "auth.login")
            .outcome(AuditOutcome::Denied)
            .details(serde_json::json!({ "reason": "wrong credentials" })),
    )
    .await?;
    Ok(())
}

/// Opens the session, with its audit record, in one transaction.
async fn open_session(
    db: &DatabaseConnection,
    auth: &Auth,
    user: user::Model,
    user_key: &SecretBytes,
    actor: &Actor,
    user_agent: &str,
) -> Result<SignedIn, DomainError> {
    let txn = begin_write(db).await?;
    let opened = session::open(&txn, auth, &user, user_key, &actor.origin, user_agent).await?;
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, actor, "auth.login").object("session", opened.row.id),
    )
    .await?;
    txn.commit().await?;
    let response = LoginResponse {
        access_token: opened.access_token,
        expires_at: opened.access_token_expires_at,
        user: user.to_api(),
        session: session::info(&opened.row, opened.row.id),
        csrf_token: opened.secret.csrf_token()?,
    };
    Ok(SignedIn {
        response,
        session_id: opened.row.id,
        secret: opened.secret,
    })
}

/// Opens the user key with the password; a user from before user keys gets one now.
async fn unlock_user_key(
    db: &DatabaseConnection,
    user: user::Model,
    password: Zeroizing<String>,
) -> Result<(user::Model, SecretBytes), DomainError> {
    match user.sealed_private_key.clone() {
        Some(sealed) => {
            let key = user_key::open(user.id, sealed, password)
                .await?
                .map_err(|_| {
                    DomainError::internal(anyhow::anyhow!(
                        "user {}: the password verified but does not open the user key",
                        user.id
                    ))
                })?;
            Ok((user, key))
        }
        None => {
            let (stored, key) = user_key::generate(user.id, password).await?;
            let mut row = user.into_active_model();
            row.public_key = Set(Some(stored.public_key));
            row.sealed_private_key = Set(Some(stored.sealed_private_key));
            Ok((row.update(db).await?, key))
        }
    }
}

async fn system_tenant_id(db: &DatabaseConnection) -> Result<Uuid, DomainError> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(db)
        .await?
        .map(|tenant| tenant.id)
        .ok_or_else(|| DomainError::internal(anyhow::anyhow!("the System account is missing")))
}
