//! Users' accounts: creation, password changes and administrator resets, shared by the API,
//! the first start and the command line, so that every path keeps the key hierarchy intact.

pub mod password_policy;
pub mod user_key;
pub mod users;

use callvault_shared::api::Role;
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, TransactionSession, TransactionTrait,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::error::DomainError;
use crate::infra::database::is_unique_violation;
use crate::infra::entities::{api_token, session, tenant, user};
use crate::infra::password;

/// What a new account needs.
pub struct NewAccount {
    pub username: String,
    pub password: Zeroizing<String>,
    pub role: Role,
}

/// The longest username, in bytes (every character of a valid one is ASCII).
pub const USERNAME_MAX_LEN: usize = 100;

/// Usernames are what people type at the login: short, printable, unambiguous. They are unique
/// whatever their case, and the login matches them so.
pub fn check_username(username: &str) -> Result<(), DomainError> {
    let valid_length = (2..=USERNAME_MAX_LEN).contains(&username.len());
    let valid_characters = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if valid_length && valid_characters {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!(
            "{username:?} is not a valid username: 2 to 100 of letters, digits, '.', '_', '-' and '@'"
        )))
    }
}

/// Provider roles exist only in the System account, so that no tenant ever holds a user who
/// may act in other tenants.
pub fn check_role_fits_tenant(role: Role, tenant: &tenant::Model) -> Result<(), DomainError> {
    if role.is_provider_staff() && !tenant.is_system() {
        return Err(DomainError::Invalid(format!(
            "the role {role} belongs to the provider's staff and exists only in the System account"
        )));
    }
    Ok(())
}

/// A new account, in two steps: [`prepare`] checks it and does the slow work (the password
/// hash and its own key pair, sealed under the password), then [`insert`] writes it, on the
/// transaction that also writes its audit record. The slow work comes before the transaction
/// opens, so that the transaction stays short.
pub struct PreparedAccount {
    row: user::ActiveModel,
    username: String,
}

/// Checks a new account and does its slow work (the password hash and the key pair).
pub async fn prepare(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    account: NewAccount,
    password_min_length: usize,
) -> Result<PreparedAccount, DomainError> {
    check_username(&account.username)?;
    check_role_fits_tenant(account.role, tenant)?;
    password_policy::check(&account.password, password_min_length).map_err(DomainError::Invalid)?;
    if let Some(existing) = find_by_username(db, &account.username).await? {
        return Err(taken(&existing.username));
    }
    hash_new(tenant.id, account).await
}

/// The account whose username is `username` whatever the case, if there is one (the database
/// keeps at most one: its unique index is on the lower-cased name).
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    if username.len() > USERNAME_MAX_LEN {
        return Ok(None);
    }
    user::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(user::Column::Username))).eq(username.to_lowercase()),
        )
        .one(db)
        .await
}

/// The name under which the login throttle counts attempts: what was typed, lower-cased, cut
/// to the longest a username can be. Since usernames are unique whatever their case, no two
/// accounts share it, and an invented name is counted like a real one.
pub fn login_key(username: &str) -> String {
    cut_to_username_length(&username.to_lowercase())
}

/// `name`, cut to at most [`USERNAME_MAX_LEN`] bytes on a character boundary, with "…" when
/// something was cut: for names that an attacker chooses and a log keeps.
pub fn cut_to_username_length(name: &str) -> String {
    if name.len() <= USERNAME_MAX_LEN {
        return name.to_owned();
    }
    let mut end = USERNAME_MAX_LEN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

/// The slow work of a new account (the password hash and the key pair), without the checks of
/// [`prepare`]: for a caller whose account is known to pass them.
pub async fn hash_new(
    tenant_id: Uuid,
    account: NewAccount,
) -> Result<PreparedAccount, DomainError> {
    let id = Uuid::now_v7();
    let password_hash = password::hash(account.password.clone()).await?;
    let (key, _) = user_key::generate(id, account.password).await?;
    let now = Utc::now();
    Ok(PreparedAccount {
        row: user::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            username: Set(account.username.clone()),
            password_hash: Set(password_hash),
            role: Set(account.role),
            created_at: Set(now),
            public_key: Set(Some(key.public_key)),
            sealed_private_key: Set(Some(key.sealed_private_key)),
            password_changed_at: Set(Some(now)),
        },
        username: account.username,
    })
}

/// Inserts a prepared account (on a transaction, to commit with its audit record).
pub async fn insert(
    db: &impl ConnectionTrait,
    prepared: PreparedAccount,
) -> Result<user::Model, DomainError> {
    let PreparedAccount { row, username } = prepared;
    row.insert(db).await.map_err(|error| {
        if is_unique_violation(&error) {
            taken(&username)
        } else {
            error.into()
        }
    })
}

fn taken(username: &str) -> DomainError {
    DomainError::Conflict(format!(
        "the username {username:?} is taken (usernames are unique across the whole instance)"
    ))
}

/// What an administrator's reset did.
pub struct ResetOutcome {
    pub user: user::Model,
    pub sessions_ended: u64,
    pub grants_removed: u64,
}

pub const RESET_NOTICE: &str = "The user has a new key pair: the keys they were granted can no longer be opened with it, so those grants were removed. Someone who holds each key must grant it to them again.";

/// An administrator's reset: a new password and a new key pair, because nobody but the user
/// can open the old one. Every session ends and every grant to the old key is void. In two
/// steps: [`prepare_reset`] does the slow work (the password hash and the new key pair), then
/// [`apply_reset`] writes it.
pub struct PreparedReset {
    target: user::Model,
    password_hash: String,
    key: user_key::StoredUserKey,
}

/// Checks the new password and does a reset's slow work, before any transaction opens.
pub async fn prepare_reset(
    target: user::Model,
    new_password: Zeroizing<String>,
    password_min_length: usize,
) -> Result<PreparedReset, DomainError> {
    password_policy::check(&new_password, password_min_length).map_err(DomainError::Invalid)?;
    let password_hash = password::hash(new_password.clone()).await?;
    let (key, _) = user_key::generate(target.id, new_password).await?;
    Ok(PreparedReset {
        target,
        password_hash,
        key,
    })
}

/// Writes a prepared reset in one transaction (a savepoint when `db` is one already).
pub async fn apply_reset(
    db: &(impl ConnectionTrait + TransactionTrait),
    prepared: PreparedReset,
) -> Result<ResetOutcome, DomainError> {
    let PreparedReset {
        target,
        password_hash,
        key,
    } = prepared;
    let txn = crate::infra::database::begin_write(db).await?;
    let sessions_ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(target.id))
        .exec(&txn)
        .await?
        .rows_affected;
    // Tokens that carry the old key open nothing any more; upload and read tokens go on.
    api_token::Entity::delete_many()
        .filter(api_token::Column::UserId.eq(target.id))
        .filter(api_token::Column::SealedUserKey.is_not_null())
        .exec(&txn)
        .await?;
    // Grants are sealed to the old public key: with it gone they are void.
    let grants_removed =
        crate::domain::encryption_keys::grants::remove_all_of(&txn, target.id).await?;
    let mut row = target.into_active_model();
    row.password_hash = Set(password_hash);
    row.public_key = Set(Some(key.public_key));
    row.sealed_private_key = Set(Some(key.sealed_private_key));
    row.password_changed_at = Set(Some(Utc::now()));
    let user = row.update(&txn).await?;
    txn.commit().await?;
    Ok(ResetOutcome {
        user,
        sessions_ended,
        grants_removed,
    })
}
