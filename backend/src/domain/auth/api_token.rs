//! Integrators' API tokens: `cvt_<id>_<secret>`, sent as a bearer token. The secret works like
//! a session's: the row keeps only its verifier and, for a token that may play, the bound
//! user's key sealed under it, so that the database alone opens nothing.

use callvault_shared::api::{self, TokenScope};
use callvault_shared::crypto::SecretBytes;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::credential_secret::CredentialSecret;
use crate::infra::entities::{api_token, user};

/// Marks an API token, so that it is told from an access token (a JWT) at a glance, and so
/// that secret scanners can recognise a leaked one.
pub const PREFIX: &str = "cvt_";

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
