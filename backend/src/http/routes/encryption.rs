//! `/api/v1/tenants/{tenant}/encryption`: whether new recordings are sealed, who holds the
//! private keys, and the original product's configuration check-list.

use actix_web::{HttpResponse, get, patch, web};
use callvault_shared::api::{
    Checklist, EncryptionSettings, EncryptionUpdate, KeyMode, KeyOrigin, KeyState,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter,
};

use crate::domain::audit::{self, AuditEntry};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::{encryption_key, key_grant, tenant};

/// The tenant's encryption settings and check-list.
#[utoipa::path(
    operation_id = "show_encryption",
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 200, description = "Settings and check-list", body = EncryptionSettings),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/encryption")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings(&state.db, &access.tenant).await?))
}

/// Switches encryption on or off, and the key mode. Encryption needs an active key;
/// tenant-held mode needs the tenant to have no key with a private half on the server.
#[utoipa::path(
    operation_id = "update_encryption",
    tag = "keys",
    params(TenantPath),
    request_body = EncryptionUpdate,
    responses(
        (status = 200, description = "The new settings", body = EncryptionSettings),
        (status = 409, description = "No active key yet, or private keys in the way of tenant-held mode"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[patch("/api/v1/tenants/{tenant}/encryption")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    body: Json<EncryptionUpdate>,
) -> Result<HttpResponse, ApiError> {
    let EncryptionUpdate { enabled, mode } = body.into_inner();
    let tenant = &access.tenant;
    crate::http::routes::keys::tenant_decides(tenant, &access.principal)?;
    if mode == Some(KeyMode::TenantHeld) {
        let private_keys = encryption_key::Entity::find()
            .filter(encryption_key::Column::TenantId.eq(tenant.id))
            .filter(encryption_key::Column::Origin.ne(KeyOrigin::PublicOnly.as_str()))
            .filter(encryption_key::Column::State.ne(KeyState::Destroyed.as_str()))
            .count(&state.db)
            .await?;
        if private_keys > 0 {
            return Err(ApiError::Conflict(format!(
                "{private_keys} of this tenant's keys have their private half on the server: destroy them before the tenant holds its own keys"
            )));
        }
    }
    if enabled == Some(true) && tenant.active_key_id.is_none() {
        return Err(ApiError::Conflict(
            "there is no active key: create or import one first".into(),
        ));
    }
    let mut row = tenant.clone().into_active_model();
    if let Some(enabled) = enabled {
        row.encryption_enabled = Set(enabled);
    }
    if let Some(mode) = mode {
        row.key_mode = Set(mode.as_str().to_owned());
    }
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, &access.actor(), "encryption.update").details(
            serde_json::json!({
                "enabled": { "from": tenant.encryption_enabled, "to": updated.encryption_enabled },
                "mode": { "from": tenant.key_mode, "to": updated.key_mode },
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(settings(&state.db, &updated).await?))
}

pub async fn settings(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<EncryptionSettings, ApiError> {
    let mode = KeyMode::from_name(&tenant.key_mode).unwrap_or(KeyMode::ProviderHeld);
    let active = match tenant.active_key_id {
        Some(id) => {
            encryption_key::Entity::find_by_id(id)
                .filter(encryption_key::Column::TenantId.eq(tenant.id))
                .one(db)
                .await?
        }
        None => None,
    };
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
        .is_some_and(|key| key.origin == KeyOrigin::PublicOnly.as_str());
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
