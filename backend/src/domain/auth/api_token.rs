//! Integrators' API tokens: `cvt_<id>_<secret>`, sent as a bearer token. The secret works like
//! a session's: the row keeps only its verifier and, for a token that may play, the bound
//! user's key sealed under it, so that the database alone opens nothing.

use std::collections::BTreeSet;

use callvault_shared::api::{self, CreatedApiToken, NewApiToken, TokenScope};
use callvault_shared::crypto::SecretBytes;
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::credential_secret::CredentialSecret;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{api_token, user};

/// Marks an API token, so that it is told from an access token (a JWT) at a glance, and so
/// that secret scanners can recognise a leaked one.
pub const PREFIX: &str = "cvt_";

/// A new token's lifetime when the request does not say, and at most.
const DEFAULT_DAYS: u32 = 90;
const MAX_DAYS: u32 = 730;
/// A token's name, at most.
const MAX_NAME: usize = 100;

/// The token's text: prefix, id, secret.
pub fn encode(id: Uuid, secret: &CredentialSecret) -> String {
    format!("{PREFIX}{}_{}", id.simple(), secret.encode())
}

/// Reads `cvt_<id>_<secret>`; `None` for anything else. The id is hex, so the first `_`
/// after it ends it even though the base64url secret may contain `_` too.
pub fn decode(text: &str) -> Option<(Uuid, CredentialSecret)> {
    let (id, secret) = text.strip_prefix(PREFIX)?.split_once('_')?;
    Some((Uuid::try_parse(id).ok()?, CredentialSecret::decode(secret)?))
}

/// What a new token is.
pub struct Issue<'a> {
    pub tenant_id: Uuid,
    pub user: &'a user::Model,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub lifetime: Duration,
    /// The bound user's key, for a token with the `play` scope.
    pub user_key: Option<SecretBytes>,
}

/// Stores a new token and returns it with the text the client receives once.
pub async fn issue(
    db: &impl ConnectionTrait,
    request: Issue<'_>,
) -> anyhow::Result<(api_token::Model, String)> {
    let secret = CredentialSecret::generate()?;
    let id = Uuid::new_v4();
    let now = Utc::now();
    let sealed_user_key = request
        .user_key
        .map(|key| secret.seal_user_key(id, request.user.id, &key))
        .transpose()?;
    let row = api_token::ActiveModel {
        id: Set(id),
        tenant_id: Set(request.tenant_id),
        user_id: Set(request.user.id),
        name: Set(request.name),
        scopes: Set(request
            .scopes
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        secret_hash: Set(secret.verifier()?),
        sealed_user_key: Set(sealed_user_key),
        created_at: Set(now),
        expires_at: Set(now + request.lifetime),
        last_used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok((row, encode(id, &secret)))
}

pub fn to_api(row: &api_token::Model, username: &str) -> api::ApiToken {
    api::ApiToken {
        id: row.id,
        name: row.name.clone(),
        scopes: row.scopes(),
        user_id: row.user_id,
        username: username.to_owned(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

/// The tenant's API tokens, newest first, expired ones included until they are revoked.
pub async fn list(
    db: &DatabaseConnection,
    tenant_id: Uuid,
) -> Result<Vec<api::ApiToken>, DomainError> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant_id))
        .find_also_related(user::Entity)
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .map(|(token, user)| to_api(token, user.as_ref().map_or("", |u| u.username.as_str())))
        .collect())
}

/// Creates a token that acts as `user`, in `tenant_id`, limited to its scopes and to what the
/// user's role allows at each request, with its audit record. A `play` token carries
/// `user_key` (the user's key as the caller's credential opens it; `None` when it opens
/// none), so it plays what the user's grants open. The secret is in the answer only.
pub async fn create(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    user: &user::Model,
    user_key: Option<SecretBytes>,
    request: NewApiToken,
    actor: &Actor,
) -> Result<CreatedApiToken, DomainError> {
    let NewApiToken {
        name,
        scopes,
        expires_in_days,
    } = request;
    let name = check_name(&name)?;
    let scopes: BTreeSet<TokenScope> = scopes.into_iter().collect();
    if scopes.is_empty() {
        return Err(DomainError::Invalid(
            "give the token at least one scope".into(),
        ));
    }
    let days = expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(DomainError::Invalid(format!(
            "expires_in_days is 1 to {MAX_DAYS}"
        )));
    }
    let role = user.role;
    if let Some(scope) = scopes
        .iter()
        .find(|scope| !scope.permissions().iter().all(|p| role.allows(*p)))
    {
        return Err(DomainError::Refused(format!(
            "the role {role} does not allow what the scope {scope} does, so its tokens cannot either"
        )));
    }
    let user_key =
        if scopes.contains(&TokenScope::Play) {
            Some(user_key.ok_or_else(|| {
                DomainError::SignedOut("the session has ended; sign in again".into())
            })?)
        } else {
            None
        };
    let txn = begin_write(db).await?;
    let (row, secret) = issue(
        &txn,
        Issue {
            tenant_id,
            user,
            name,
            scopes: scopes.into_iter().collect(),
            lifetime: Duration::days(i64::from(days)),
            user_key,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant_id, actor, "token.create")
            .object("token", row.id)
            .details(serde_json::json!({
                "name": row.name,
                "scopes": row.scopes(),
                "expires_at": row.expires_at,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedApiToken {
        secret,
        token: to_api(&row, &user.username),
    })
}

/// A token's name, trimmed: printable, and not too long as sent.
fn check_name(name: &str) -> Result<String, DomainError> {
    // Measured as sent, as the document's maxLength is: trimming comes after.
    let too_long = name.chars().count() > MAX_NAME;
    let name = name.trim().to_owned();
    if name.is_empty() || too_long || name.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!(
            "a token's name is 1 to {MAX_NAME} printable characters"
        )));
    }
    Ok(name)
}

/// Revokes a token of the tenant at once, on every instance, with its audit record.
pub async fn revoke(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    id: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    let txn = begin_write(db).await?;
    let revoked = api_token::Entity::delete_many()
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::TenantId.eq(tenant_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if revoked == 0 {
        return Err(DomainError::NotFound(format!(
            "no token {id} in this tenant"
        )));
    }
    audit::record(
        &txn,
        AuditEntry::new(tenant_id, actor, "token.revoke").object("token", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_whatever_its_secret_contains() {
        for _ in 0..64 {
            let id = Uuid::new_v4();
            let secret = CredentialSecret::generate().expect("random");
            let (read_id, read_secret) = decode(&encode(id, &secret)).expect("decodes");
            assert_eq!(read_id, id);
            assert_eq!(read_secret.encode(), secret.encode());
        }
        assert!(decode("cvt_nothex_abc").is_none());
        assert!(decode("eyJhbGciOiJIUzI1NiJ9.e30.sig").is_none());
    }
}
