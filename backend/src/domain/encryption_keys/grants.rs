//! Grants: who holds a key, granting it to another user of the tenant and revoking it;
//! sealing an encryption key's private half to a user, and opening it again for the user who
//! holds the grant. RSA work runs on the blocking pool.

use callvault_shared::api::KeyHolder;
use callvault_shared::crypto::{Native, SecretBytes};
use callvault_shared::keys::{RsaPrivateKey, RsaPublicKey};
use callvault_shared::stored_secrets::{open_with_private_key, seal_to_public_key};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{find_in_tenant, has_private_half, keep_a_holder, to_api};
use crate::domain::access_cache::{AccessCache, read_through};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::database::is_unique_violation;
use crate::infra::entities::{encryption_key, key_grant, tenant, user};

/// Who holds the key `key_id` of the tenant.
pub async fn holders(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    key_id: Uuid,
) -> Result<Vec<KeyHolder>, DomainError> {
    let key = find_in_tenant(db, tenant, key_id).await?;
    Ok(to_api(db, tenant, &key).await?.holders)
}

/// Grants the key to a user of the same tenant, with its audit record. Only a holder can: the
/// key's private half is opened with the holder's own grant and sealed to the grantee's key.
/// A role never suffices.
pub async fn grant(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    key_id: Uuid,
    grantee_id: Uuid,
    holder: &Holder<'_>,
    actor: &Actor,
) -> Result<KeyHolder, DomainError> {
    let key = find_in_tenant(db, tenant, key_id).await?;
    let grantee = user::Entity::find_by_id(grantee_id)
        .filter(user::Column::TenantId.eq(tenant.id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("no user {grantee_id} in this tenant")))?;
    has_private_half(&key)?;
    let private = open_for(db, holder, &key).await?;
    let already = || DomainError::Conflict(format!("{} holds this key already", grantee.username));
    if key_grant::Entity::find_by_id((key.id, grantee.id))
        .one(db)
        .await?
        .is_some()
    {
        return Err(already());
    }
    let pkcs8 = private.to_pkcs8_der().map_err(DomainError::internal)?;
    let sealed = seal_for(&key, &grantee, pkcs8).await?;
    let txn = begin_write(db).await?;
    let created = key_grant::ActiveModel {
        key_id: Set(key.id),
        user_id: Set(grantee.id),
        tenant_id: Set(tenant.id),
        sealed_private_key: Set(sealed),
        granted_by: Set(Some(holder.user_id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            already()
        } else {
            error.into()
        }
    })?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.grant")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "to": grantee.username,
                "to_id": grantee.id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(KeyHolder {
        user_id: grantee.id,
        username: grantee.username,
        granted_at: created.created_at,
    })
}

/// Revokes a user's grant: their sealed copy of the key is deleted, with its audit record.
/// The last holder of a key that recordings depend on stays.
pub async fn revoke(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    key_id: Uuid,
    user_id: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    let key = find_in_tenant(db, tenant, key_id).await?;
    keep_a_holder(db, std::slice::from_ref(&key), user_id).await?;
    let txn = begin_write(db).await?;
    let removed = key_grant::Entity::delete_many()
        .filter(key_grant::Column::KeyId.eq(key.id))
        .filter(key_grant::Column::UserId.eq(user_id))
        .filter(key_grant::Column::TenantId.eq(tenant.id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(DomainError::NotFound(format!(
            "user {user_id} holds no grant on this key"
        )));
    }
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.revoke")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint, "from_id": user_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

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

/// A user about to use their grants: who they are, and how to open their user key with their
/// credential (an API token without the `play` scope carries none). The key is opened only
/// when a grant is, so that a seek served from recordings opened lately pays nothing for it.
pub struct Holder<'a> {
    pub user_id: Uuid,
    user_key: Box<dyn Fn() -> Option<SecretBytes> + 'a>,
}

impl<'a> Holder<'a> {
    pub fn new(user_id: Uuid, user_key: impl Fn() -> Option<SecretBytes> + 'a) -> Self {
        Self {
            user_id,
            user_key: Box::new(user_key),
        }
    }
}

/// The private half of `key`, opened through the holder's own grant. A role never suffices.
pub async fn open_for(
    db: &impl ConnectionTrait,
    holder: &Holder<'_>,
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
        .ok_or_else(|| no_grant(key))
}

fn no_grant(key: &encryption_key::Model) -> DomainError {
    DomainError::Refused(format!(
        "you hold no grant on the key {}: someone who holds it must grant it to you",
        &key.fingerprint[..16]
    ))
}

/// The same, from what was read lately when `cache` holds it (playback's every seek).
pub async fn held_by_cached(
    db: &impl ConnectionTrait,
    cache: Option<&AccessCache>,
    user_id: Uuid,
    key: &encryption_key::Model,
) -> Result<key_grant::Model, DomainError> {
    let found = read_through(
        cache,
        |cache| &cache.grants,
        (key.id, user_id),
        || async {
            match held_by(db, user_id, key).await {
                Ok(grant) => Ok(Some(grant)),
                Err(DomainError::Refused(_)) => Ok(None),
                Err(other) => Err(other),
            }
        },
    )
    .await?;
    found.ok_or_else(|| no_grant(key))
}

/// The private half of `key`, opened from `grant` with the holder's user key.
pub async fn open(
    grant: key_grant::Model,
    holder: &Holder<'_>,
    key: &encryption_key::Model,
) -> Result<RsaPrivateKey<Native>, DomainError> {
    let user_key = (holder.user_key)()
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
