//! Signing in with a username and password: the throttle, the password, the user key and a
//! new session, each verification in the audit log.

use callvault_shared::api::{AuditOutcome, LoginRequest, LoginResponse, WRONG_CREDENTIALS};
use callvault_shared::crypto::SecretBytes;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, IntoActiveModel};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::credential_secret::CredentialSecret;
use super::throttle::{self, Admission, Subject};
use super::{Auth, failed_sign_ins, session};
use crate::domain::accounts::{self, user_key};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::user;
use crate::infra::metrics::{self, LoginOutcome};
use crate::infra::password;

/// How a sign-in ended, when it did not fail.
pub enum Login {
    /// Signed in: the answer's body, and what the session and device cookies carry.
    SignedIn(Box<SignedIn>),
    /// Refused by the throttle without looking at the password: try again after
    /// `retry_after_secs`.
    Throttled {
        detail: String,
        retry_after_secs: u64,
    },
}

/// A new session: the body the client receives, the session's id and secret for its cookie,
/// and a device cookie that lets this browser past limits other people's failures set.
pub struct SignedIn {
    pub response: LoginResponse,
    pub session_id: Uuid,
    pub secret: CredentialSecret,
    pub device_cookie: String,
}

/// One attempt: what was typed, and what is known of where it came from.
pub struct Attempt<'a> {
    pub request: LoginRequest,
    /// The client's address (behind a trusted proxy, the address the proxy names).
    pub origin: &'a str,
    pub user_agent: &'a str,
    /// The device cookie the browser sent, if any.
    pub device_cookie: Option<&'a str>,
}

/// Signs a user in, if the throttle lets the attempt verify a password (see
/// [`throttle`] for its limits) and the password is right.
pub async fn sign_in(
    db: &DatabaseConnection,
    auth: &Auth,
    attempt: Attempt<'_>,
) -> Result<Login, DomainError> {
    let LoginRequest { username, password } = attempt.request;
    let password = Zeroizing::new(password);
    let user = accounts::find_by_username(db, &username).await?;
    let log_tenant = match &user {
        Some(user) => user.tenant_id,
        None => crate::domain::tenants::system_id(db).await?,
    };
    let actor = Actor {
        id: user.as_ref().map(|user| user.id),
        // The name is the attacker's choice; the log keeps no more of it than a real one has.
        name: accounts::cut_to_username_length(&username),
        origin: attempt.origin.to_owned(),
    };
    let device = attempt
        .device_cookie
        .and_then(|cookie| auth.devices.verify(cookie))
        .filter(|device| user.as_ref().is_some_and(|user| user.id == device.user_id));
    let subjects = match device {
        Some(device) => vec![Subject::Device(device.id)],
        None => {
            let account = accounts::login_key(&username);
            let network = throttle::network_of(attempt.origin);
            vec![
                Subject::AccountFrom {
                    account: account.clone(),
                    address: network.clone(),
                },
                Subject::Address(network),
                Subject::Account(account),
            ]
        }
    };

    let reservation = match admit_waiting(db, subjects, log_tenant, &actor).await? {
        Admission::Wait => {
            metrics::login(LoginOutcome::Throttled);
            return Ok(Login::Throttled {
                detail: "many sign-ins from your network are being checked at this moment; \
                         try again in a few seconds"
                    .into(),
                retry_after_secs: 5,
            });
        }
        Admission::Refused {
            until, refused_by, ..
        } => {
            metrics::login(LoginOutcome::Throttled);
            return Ok(throttled(&refused_by, until));
        }
        Admission::Admitted { reservation, .. } => reservation,
    };

    let verified = password::verify(
        user.as_ref().map(|user| user.password_hash.clone()),
        password.clone(),
    )
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        let txn = begin_write(db).await?;
        throttle::failed(&txn, reservation).await?;
        audit::record(
            &txn,
            AuditEntry::new(log_tenant, &actor, "auth.login")
                .outcome(AuditOutcome::Denied)
                .details(serde_json::json!({ "reason": "wrong credentials" })),
        )
        .await?;
        txn.commit().await?;
        metrics::login(LoginOutcome::WrongCredentials);
        return Err(DomainError::SignedOut(WRONG_CREDENTIALS.into()));
    };
    throttle::succeeded(db, reservation).await?;

    let recent_failures = failed_sign_ins::since_last_sign_in(db, &user).await?;
    let (user, user_key) = unlock_user_key(db, user, password).await?;
    let mut signed_in = open_session(db, auth, user, &user_key, &actor, attempt.user_agent).await?;
    signed_in.response.failed_sign_ins_since_last = recent_failures;
    metrics::login(LoginOutcome::SignedIn);
    Ok(Login::SignedIn(Box::new(signed_in)))
}

/// The throttle's decision, after waiting out attempts in flight that fill a limit (their
/// passwords are being checked, which takes a fraction of a second each). A lock that begins
/// or ends is recorded in the transaction that decided it.
async fn admit_waiting(
    db: &DatabaseConnection,
    subjects: Vec<Subject>,
    log_tenant: Uuid,
    actor: &Actor,
) -> Result<Admission, DomainError> {
    let mut pause = std::time::Duration::from_millis(100);
    let give_up = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let txn = begin_write(db).await?;
        let admission = throttle::admit(&txn, subjects.clone()).await?;
        match &admission {
            Admission::Wait if tokio::time::Instant::now() < give_up => {
                txn.commit().await?;
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(1));
                continue;
            }
            Admission::Wait => {}
            Admission::Refused { locks_begun, .. } => {
                for subject in locks_begun {
                    metrics::login_locked(subject.kind());
                    let entry = lock_entry(log_tenant, actor, "auth.lock_began", subject);
                    audit::record(&txn, entry).await?;
                }
            }
            Admission::Admitted { locks_ended, .. } => {
                for (subject, refused) in locks_ended {
                    let entry = lock_entry(log_tenant, actor, "auth.lock_ended", subject).details(
                        serde_json::json!({ "subject": subject.kind(), "refused": refused }),
                    );
                    audit::record(&txn, entry).await?;
                }
            }
        }
        txn.commit().await?;
        return Ok(admission);
    }
}

fn lock_entry(
    log_tenant: Uuid,
    actor: &Actor,
    action: &'static str,
    subject: &Subject,
) -> AuditEntry {
    AuditEntry::new(log_tenant, actor, action)
        .outcome(AuditOutcome::Denied)
        .details(serde_json::json!({ "subject": subject.kind() }))
}

/// The refusal, in words that say what happened and how long to wait. None of them depends on
/// whether the name exists.
fn throttled(refused_by: &[Subject], until: DateTime<Utc>) -> Login {
    let retry_after_secs = (until - Utc::now()).num_seconds().max(1) as u64;
    let wait = if retry_after_secs < 120 {
        format!("{retry_after_secs} seconds")
    } else {
        format!("{} minutes", retry_after_secs.div_ceil(60))
    };
    let only_slowed = refused_by
        .iter()
        .all(|subject| matches!(subject, Subject::Account(_)));
    let address_locked = refused_by
        .iter()
        .any(|subject| matches!(subject, Subject::Address(_)));
    let detail = if only_slowed {
        format!(
            "this account has had many failed sign-ins from elsewhere, so sign-ins to it are \
             slowed down; try again in {wait}"
        )
    } else if address_locked {
        format!(
            "too many failed sign-ins from your network; try again in {wait}, or from a \
             browser that has signed in to your account before"
        )
    } else {
        format!("too many failed sign-ins with this name from your network; try again in {wait}")
    };
    Login::Throttled {
        detail,
        retry_after_secs,
    }
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
    let device_cookie = auth.devices.issue(user.id).map_err(DomainError::internal)?;
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
        failed_sign_ins_since_last: 0,
    };
    Ok(SignedIn {
        response,
        session_id: opened.row.id,
        secret: opened.secret,
        device_cookie,
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
