//! `Idempotency-Key` for uploads and imports (draft-ietf-httpapi-idempotency-key-header): the
//! first answer to a key is remembered, in the same transaction as the change it answers for,
//! so that a client who retries after a lost answer or a 5xx gets that answer again instead of
//! storing a second copy. A key names one request: the same key with other content is refused.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
use sea_orm::{DbErr, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::infra::entities::idempotency_key;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";
/// The answer header that marks a replayed answer.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// A key's longest form.
pub const MAX_KEY_LEN: usize = 255;
/// How long an answer is kept: a client retries within minutes, a day covers a recorder that
/// was offline overnight.
pub const KEPT_FOR: chrono::Duration = chrono::Duration::days(1);

/// A client's key, checked: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, String> {
        // Structured-field strings are quoted; a bare token is taken as it is too.
        let key = value
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or(value);
        if key.is_empty()
            || key.len() > MAX_KEY_LEN
            || !key.bytes().all(|byte| byte.is_ascii_graphic())
        {
            return Err(format!(
                "{HEADER} must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key about to be used for one operation on one request's content.
#[derive(Debug, Clone)]
pub struct Pending {
    pub tenant_id: Uuid,
    /// Keys are the user's own: nobody else's request can claim or read them.
    pub user_id: Uuid,
    pub key: IdempotencyKey,
    /// The audit action of the operation, so a key cannot cross operations either.
    pub operation: &'static str,
    /// SHA-256 of what identifies the request's content, lowercase hex.
    pub fingerprint: String,
}

impl Pending {
    pub fn new(
        tenant_id: Uuid,
        user_id: Uuid,
        key: IdempotencyKey,
        operation: &'static str,
        content: &[&[u8]],
    ) -> Self {
        let mut hasher = Sha256::new();
        for part in content {
            // Length-prefixed, so that parts cannot slide into one another.
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Self {
            tenant_id,
            user_id,
            key,
            operation,
            fingerprint: hex::encode(hasher.finalize()),
        }
    }
}

/// The first answer given to a key.
#[derive(Debug, Clone)]
pub struct Remembered {
    pub status: u16,
    /// The JSON body.
    pub response: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error(
        "this {HEADER} was used for another request (other content, or another operation) in the last day: use a new key for a new request"
    )]
    Reused,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// The answer given earlier to `pending`'s key, if it was used in the last day.
pub async fn earlier(
    db: &impl ConnectionTrait,
    pending: &Pending,
) -> Result<Option<Remembered>, IdempotencyError> {
    let Some(row) = idempotency_key::Entity::find_by_id((
        pending.tenant_id,
        pending.user_id,
        pending.key.0.clone(),
    ))
    .filter(idempotency_key::Column::CreatedAt.gt(Utc::now() - KEPT_FOR))
    .one(db)
    .await?
    else {
        return Ok(None);
    };
    if row.operation != pending.operation || row.fingerprint != pending.fingerprint {
        return Err(IdempotencyError::Reused);
    }
    Ok(Some(Remembered {
        status: u16::try_from(row.status).unwrap_or(200),
        response: row.response,
    }))
}

/// Remembers the answer to `pending`, in the transaction that makes the change. A key used
/// more than a day ago is used afresh. Two requests racing with one key: the second fails
/// here (the primary key), and is then answered from [`earlier`].
pub async fn remember(
    txn: &impl ConnectionTrait,
    pending: &Pending,
    answer: &Remembered,
) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::TenantId.eq(pending.tenant_id))
        .filter(idempotency_key::Column::UserId.eq(pending.user_id))
        .filter(idempotency_key::Column::Key.eq(pending.key.0.as_str()))
        .filter(idempotency_key::Column::CreatedAt.lte(Utc::now() - KEPT_FOR))
        .exec(txn)
        .await?;
    idempotency_key::Model {
        tenant_id: pending.tenant_id,
        user_id: pending.user_id,
        key: pending.key.0.clone(),
        operation: pending.operation.to_owned(),
        fingerprint: pending.fingerprint.clone(),
        status: i16::try_from(answer.status).unwrap_or(200),
        response: answer.response.clone(),
        created_at: Utc::now(),
    }
    .into_active_model()
    .insert(txn)
    .await?;
    Ok(())
}

/// Forgets answers older than [`KEPT_FOR`]; the sweeper calls it.
pub async fn forget_expired(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lte(Utc::now() - KEPT_FOR))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").is_ok());
        assert_eq!(
            IdempotencyKey::parse("\"abc\"").map(|key| key.0),
            Ok("abc".to_owned())
        );
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        let key = || IdempotencyKey::parse("k").unwrap_or_else(|_| unreachable!());
        let id = Uuid::nil();
        let a = Pending::new(id, id, key(), "x", &[b"ab", b"c"]);
        let b = Pending::new(id, id, key(), "x", &[b"a", b"bc"]);
        assert_ne!(a.fingerprint, b.fingerprint);
    }
}
