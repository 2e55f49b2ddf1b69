//! Encryption keys and grants. The private half of a key exists on the server only as grants
//! (sealed to a user's own key), and is opened only for the length of one operation by a user
//! who holds one, through their session.

pub mod grants;
pub mod lifecycle;
pub mod settings;

use callvault_shared::api::{EncryptionKey, KeyHolder, KeyOrigin, KeyState};
use callvault_shared::crypto::Native;
use callvault_shared::keys::RsaPublicKey;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::error::DomainError;
use crate::infra::entities::{encryption_key, key_grant, tenant, user};

/// The tenant's active key, whatever its state: `None` when it has none.
pub async fn active(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<Option<encryption_key::Model>, DomainError> {
    let Some(id) = tenant.active_key_id else {
        return Ok(None);
    };
    Ok(encryption_key::Entity::find_by_id(id)
        .filter(encryption_key::Column::TenantId.eq(tenant.id))
        .one(db)
        .await?)
}

/// The tenant's active key if it may seal (its state is active), with its public half parsed:
/// what uploads, backups and a rewrap seal new headers for.
pub async fn sealing_key(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<Option<(encryption_key::Model, RsaPublicKey<Native>)>, DomainError> {
    let Some(key) = active(db, tenant)
        .await?
        .filter(|key| key.state == KeyState::Active)
    else {
        return Ok(None);
    };
    let public = RsaPublicKey::<Native>::from_spki_der(&key.public_key)
        .map_err(|error| DomainError::internal(anyhow::anyhow!("a stored public key: {error}")))?;
    Ok(Some((key, public)))
}

/// A key of exactly this tenant; any other is missing.
pub async fn find_in_tenant(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<encryption_key::Model, DomainError> {
    crate::domain::find_in_tenant::<encryption_key::Entity>(db, tenant, id).await
}

/// The tenant's keys, newest first, with their holders.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<Vec<EncryptionKey>, DomainError> {
    let rows = encryption_key::Entity::find()
        .filter(encryption_key::Column::TenantId.eq(tenant.id))
        .order_by_desc(encryption_key::Column::CreatedAt)
        .all(db)
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        keys.push(to_api(db, tenant, row).await?);
    }
    Ok(keys)
}

/// One key of the tenant, with its holders.
pub async fn show(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<EncryptionKey, DomainError> {
    let key = find_in_tenant(db, tenant, id).await?;
    to_api(db, tenant, &key).await
}

/// Refuses a key whose private half the server does not have: a public-only (tenant-held)
/// key, or a destroyed one.
pub fn has_private_half(key: &encryption_key::Model) -> Result<(), DomainError> {
    match (key.origin, key.state) {
        (KeyOrigin::PublicOnly, _) => Err(DomainError::Conflict(
            "this key is held by the tenant: the server has only its public half".into(),
        )),
        (_, KeyState::Destroyed) => Err(DomainError::Conflict("this key was destroyed".into())),
        _ => Ok(()),
    }
}

/// Refuses to take away the last grant on a key that recordings depend on: without a holder
/// (and without the exported file) they would be unrecoverable, which only `destroy` may do,
/// on purpose and on the record.
pub async fn keep_a_holder(
    db: &impl ConnectionTrait,
    keys: &[encryption_key::Model],
    leaving: Uuid,
) -> Result<(), DomainError> {
    for key in keys {
        let holders = key_grant::Entity::find()
            .filter(key_grant::Column::KeyId.eq(key.id))
            .all(db)
            .await?;
        if holders.len() != 1 || holders[0].user_id != leaving {
            continue;
        }
        let dependent = crate::infra::entities::recording::Entity::find()
            .filter(crate::infra::entities::recording::Column::KeyId.eq(key.id))
            .count(db)
            .await?;
        if dependent > 0 {
            return Err(DomainError::Conflict(format!(
                "this is the last holder of the key {} that {dependent} recordings depend on: grant it to someone else first (or destroy the key on purpose)",
                &key.fingerprint[..16]
            )));
        }
    }
    Ok(())
}

/// The API's view, with the key's holders.
pub async fn to_api(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    key: &encryption_key::Model,
) -> Result<EncryptionKey, DomainError> {
    let grants = key_grant::Entity::find()
        .filter(key_grant::Column::KeyId.eq(key.id))
        .filter(key_grant::Column::TenantId.eq(tenant.id))
        .order_by_asc(key_grant::Column::CreatedAt)
        .all(db)
        .await?;
    let mut holders = Vec::with_capacity(grants.len());
    for grant in grants {
        if let Some(user) = user::Entity::find_by_id(grant.user_id)
            .filter(user::Column::TenantId.eq(tenant.id))
            .one(db)
            .await?
        {
            holders.push(KeyHolder {
                user_id: user.id,
                username: user.username,
                granted_at: grant.created_at,
            });
        }
    }
    let recordings = crate::infra::entities::recording::Entity::find()
        .filter(crate::infra::entities::recording::Column::TenantId.eq(tenant.id))
        .filter(crate::infra::entities::recording::Column::KeyId.eq(key.id))
        .count(db)
        .await?;
    Ok(EncryptionKey {
        id: key.id,
        tenant_id: key.tenant_id,
        fingerprint: key.fingerprint.clone(),
        bits: u32::try_from(key.bits).unwrap_or_default(),
        origin: key.origin,
        state: key.state,
        active: tenant.active_key_id == Some(key.id),
        created_at: key.created_at,
        exported_at: key.exported_at,
        holders,
        recordings,
    })
}
