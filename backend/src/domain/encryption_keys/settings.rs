//! A tenant's encryption settings: whether new recordings are sealed, who holds the private
//! keys (the key mode), and the original product's configuration check-list.

use callvault_shared::api::{
    Checklist, EncryptionSettings, EncryptionUpdate, KeyMode, KeyOrigin, KeyState, Role,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};

use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{encryption_key, key_grant, tenant};

/// A tenant that holds its own keys decides alone which key seals its recordings: provider
/// staff may not add or activate one there (they could hold its private half).
pub fn tenant_decides(tenant: &tenant::Model, role: Role) -> Result<(), DomainError> {
    if tenant.key_mode == KeyMode::TenantHeld && role.is_provider_staff() {
        return Err(DomainError::Refused(
            "this tenant holds its own keys: only its own administrators change its keys and encryption settings".into(),
        ));
    }
    Ok(())
}

/// Switches encryption on or off, and the key mode, with its audit record. Encryption needs
/// an active key; tenant-held mode needs the tenant to have no key with a private half on the
/// server. `role` is the caller's.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    role: Role,
    update: EncryptionUpdate,
    actor: &Actor,
) -> Result<EncryptionSettings, DomainError> {
    let EncryptionUpdate { enabled, mode } = update;
    tenant_decides(tenant, role)?;
    if mode == Some(KeyMode::TenantHeld) {
        let private_keys = encryption_key::Entity::find()
            .filter(encryption_key::Column::TenantId.eq(tenant.id))
            .filter(encryption_key::Column::Origin.ne(KeyOrigin::PublicOnly))
            .filter(encryption_key::Column::State.ne(KeyState::Destroyed))
            .count(db)
            .await?;
        if private_keys > 0 {
            return Err(DomainError::Conflict(format!(
                "{private_keys} of this tenant's keys have their private half on the server: destroy them before the tenant holds its own keys"
            )));
        }
    }
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
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "encryption.update").details(serde_json::json!({
            "enabled": { "from": tenant.encryption_enabled, "to": updated.encryption_enabled },
            "mode": { "from": tenant.key_mode, "to": updated.key_mode },
        })),
    )
    .await?;
    txn.commit().await?;
    settings(db, &updated).await
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
    Ok(EncryptionSettings {
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
