//! A tenant's encryption settings: whether new recordings are sealed, who holds the private
//! keys (the key mode), and the original product's configuration check-list.

use callvault_shared::api::{
    Checklist, EncryptionSettings, EncryptionUpdate, KeyChainAction, KeyMode, KeyOrigin, KeyState,
};
use callvault_shared::key_chain::SignedStatement;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};

use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::jobs::{Handles, seal_plaintext};
use crate::domain::tenant_held::{self, Authorized, Target};
use crate::infra::database::begin_write;
use crate::infra::entities::{encryption_key, key_grant, tenant};

/// Switches encryption on or off, and the key mode, with its audit record. Encryption needs
/// an active key; tenant-held mode needs the tenant to have no key with a private half on the
/// server, and pins its active public key (or the first it imports), which turns encryption on
/// and seals its plaintext recordings. In a tenant-held tenant, switching encryption off or
/// back to provider-held keys needs a statement signed by the tenant's key.
pub async fn update(
    handles: &Handles,
    tenant: &tenant::Model,
    update: EncryptionUpdate,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<EncryptionSettings, DomainError> {
    let db = &handles.db;
    let EncryptionUpdate { enabled, mode } = update;
    let from = tenant.key_mode;
    let lowers = match (from, mode, enabled) {
        (KeyMode::TenantHeld, Some(KeyMode::ProviderHeld), _) => Some(KeyChainAction::ProviderHeld),
        (KeyMode::TenantHeld, _, Some(false)) if tenant.encryption_enabled => {
            Some(KeyChainAction::EncryptionOff)
        }
        _ => None,
    };
    let authorized = match lowers {
        Some(action) => {
            tenant_held::authorize(db, tenant, action, Target::Settings, signed, actor).await?
        }
        None => Authorized::NotNeeded,
    };
    let pin = if from == KeyMode::ProviderHeld && mode == Some(KeyMode::TenantHeld) {
        check_no_private_keys(db, tenant).await?;
        pinned_key(db, tenant).await?
    } else {
        None
    };
    if enabled == Some(true) && tenant.active_key_id.is_none() {
        return Err(DomainError::Conflict(
            "there is no active key: create or import one first".into(),
        ));
    }
    let mut row = tenant.clone().into_active_model();
    if let Some(enabled) = enabled {
        row.encryption_enabled = Set(enabled);
    }
    if let Some(mode) = mode {
        row.key_mode = Set(mode);
    }
    let txn = begin_write(db).await?;
    authorized.record(&txn).await?;
    let mut updated = row.update(&txn).await?;
    if let Some(key) = &pin {
        let link = tenant_held::pin(
            tenant.id,
            key,
            tenant_held::chain::length(&txn, tenant.id).await? + 1,
        );
        updated = tenant_held::begin(&txn, &updated, key, link, actor).await?;
    }
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "encryption.update").details(serde_json::json!({
            "enabled": { "from": tenant.encryption_enabled, "to": updated.encryption_enabled },
            "mode": { "from": tenant.key_mode, "to": updated.key_mode },
        })),
    )
    .await?;
    txn.commit().await?;
    if pin.is_some() {
        seal_plaintext::resume(handles.clone());
    }
    settings(db, &updated).await
}

/// Tenant-held mode is refused while the server holds a private half of one of its keys.
async fn check_no_private_keys(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<(), DomainError> {
    let private_keys = encryption_key::Entity::find()
        .filter(encryption_key::Column::TenantId.eq(tenant.id))
        .filter(encryption_key::Column::Origin.ne(KeyOrigin::PublicOnly))
        .filter(encryption_key::Column::State.ne(KeyState::Destroyed))
        .count(db)
        .await?;
    if private_keys > 0 {
        return Err(DomainError::Conflict(format!(
            "{private_keys} of this tenant's keys have their private half on the server: re-wrap its recordings to a public key of the tenant's, destroy those keys, then switch (docs/tenant-held.md)"
        )));
    }
    Ok(())
}

/// The key a switch to tenant-held pins: the tenant's active public key, if it has one that
/// may seal. Without one, the first public key it imports is pinned.
async fn pinned_key(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<Option<encryption_key::Model>, DomainError> {
    Ok(super::active(db, tenant)
        .await?
        .filter(|key| key.origin == KeyOrigin::PublicOnly && key.state == KeyState::Active))
}

/// The tenant's settings and check-list.
pub async fn settings(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<EncryptionSettings, DomainError> {
    let mode = tenant.key_mode;
    let active = super::active(db, tenant).await?;
    let grants_present = match &active {
        Some(key) => {
            key_grant::Entity::find()
                .filter(key_grant::Column::KeyId.eq(key.id))
                .count(db)
                .await?
                > 0
        }
        None => false,
    };
    let public_only = active
        .as_ref()
        .is_some_and(|key| key.origin == KeyOrigin::PublicOnly);
    let sealing = seal_plaintext::unfinished(db, tenant.id)
        .await?
        .map(|job| crate::domain::jobs::to_api(&job));
    Ok(EncryptionSettings {
        sealing,
        enabled: tenant.encryption_enabled,
        mode,
        active_key_id: tenant.active_key_id,
        checklist: Checklist {
            key_present: active.is_some(),
            key_exported: active
                .as_ref()
                .is_some_and(|key| public_only || key.exported_at.is_some()),
            // Tenant-held keys have no grants by design: the step does not apply.
            grants_present: grants_present || (public_only && mode == KeyMode::TenantHeld),
            encryption_on: tenant.encryption_enabled,
        },
    })
}
