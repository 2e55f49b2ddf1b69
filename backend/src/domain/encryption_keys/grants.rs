//! Sealing an encryption key's private half to a user, and opening it again for the user who
//! holds the grant. RSA work runs on the blocking pool.

use callvault_shared::crypto::{Native, SecretBytes};
use callvault_shared::keys::{RsaPrivateKey, RsaPublicKey};
use callvault_shared::sealing::{open_with_private_key, seal_to_public_key};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::error::DomainError;
use crate::infra::entities::{encryption_key, key_grant, user};

/// Binds a grant to its key, its holder and their tenant: a sealed copy moved to another row
/// does not open.
fn context(key_id: Uuid, user_id: Uuid, tenant_id: Uuid) -> Vec<u8> {
    [
        b"callvault grant v1 ".as_slice(),
        key_id.as_bytes(),
        user_id.as_bytes(),
        tenant_id.as_bytes(),
    ]
    .concat()
}

/// The key's private half (PKCS#8 DER) sealed to `holder`'s user key.
pub async fn seal_for(
    key: &encryption_key::Model,
    holder: &user::Model,
    private_key: SecretBytes,
) -> Result<Vec<u8>, DomainError> {
    let spki = holder.public_key.clone().ok_or_else(|| {
        DomainError::Conflict(format!(
            "{} has no user key yet: they must sign in once before they can be granted a key",
            holder.username
        ))
    })?;
    let aad = context(key.id, holder.id, key.tenant_id);
    tokio::task::spawn_blocking(move || {
        let recipient = RsaPublicKey::<Native>::from_spki_der(&spki).map_err(|error| {
            DomainError::internal(anyhow::anyhow!("a stored user key: {error}"))
        })?;
        seal_to_public_key::<Native>(private_key.expose(), &recipient, &aad)
            .map_err(DomainError::internal)
    })
    .await?
}

/// A user about to use their grants: who they are, and their user key if their credential
/// opened it (an API token without the `play` scope carries none).
pub struct Holder {
    pub user_id: Uuid,
    pub user_key: Option<SecretBytes>,
}

/// The private half of `key`, opened through the holder's own grant. A role never suffices.
pub async fn open_for(
    db: &impl ConnectionTrait,
    holder: &Holder,
    key: &encryption_key::Model,
) -> Result<RsaPrivateKey<Native>, DomainError> {
    let grant = held_by(db, holder.user_id, key).await?;
    open(grant, holder, key).await
}

/// The user's grant on `key`, or a refusal.
pub async fn held_by(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    key: &encryption_key::Model,
) -> Result<key_grant::Model, DomainError> {
    key_grant::Entity::find_by_id((key.id, user_id))
        .filter(key_grant::Column::TenantId.eq(key.tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            DomainError::Refused(format!(
                "you hold no grant on the key {}: someone who holds it must grant it to you",
                &key.fingerprint[..16]
            ))
        })
}

/// The private half of `key`, opened from `grant` with the holder's user key.
pub async fn open(
    grant: key_grant::Model,
    holder: &Holder,
    key: &encryption_key::Model,
) -> Result<RsaPrivateKey<Native>, DomainError> {
    let user_key = holder
        .user_key
        .clone()
        .ok_or_else(|| DomainError::SignedOut("the session has ended; sign in again".into()))?;
    let aad = context(key.id, holder.user_id, key.tenant_id);
    tokio::task::spawn_blocking(move || {
        let user_key = RsaPrivateKey::<Native>::from_pkcs8_der(user_key.expose())
            .map_err(|error| DomainError::internal(anyhow::anyhow!("the user key: {error}")))?;
        let private = open_with_private_key::<Native>(&grant.sealed_private_key, &user_key, &aad)
            .map_err(|_| {
            // The grant was sealed to an earlier user key (a reset), or was tampered with.
            DomainError::Refused(
                "your grant on this key no longer opens: ask a holder to grant it again".into(),
            )
        })?;
        RsaPrivateKey::<Native>::from_pkcs8_der(private.expose())
            .map_err(|error| DomainError::internal(anyhow::anyhow!("a granted key: {error}")))
    })
    .await?
}

/// Deletes every grant a user holds (their user key is being replaced).
pub async fn remove_all_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    Ok(key_grant::Entity::delete_many()
        .filter(key_grant::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}
