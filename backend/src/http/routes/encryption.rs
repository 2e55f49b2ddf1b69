//! `/api/v1/tenants/{tenant}/encryption`: whether new recordings are sealed, who holds the
//! private keys, and the original product's configuration check-list.

use actix_web::{HttpResponse, get, patch, web};
use callvault_shared::api::{EncryptionSettings, EncryptionUpdate};

use crate::domain::encryption_keys::settings;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::signed_statement::{SignedHeaders, SignedStatementParams};
use crate::http::state::AppState;

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
    let settings = settings::settings(&state.db, &access.tenant).await?;
    Ok(HttpResponse::Ok().json(settings))
}

/// Switches encryption on or off, and the key mode. Encryption needs an active key;
/// tenant-held mode needs the tenant to have no key with a private half on the server, and
/// pins the tenant's active public key (or the first it imports): encryption goes on, and its
/// plaintext recordings are sealed to that key by a background job. A tenant that holds its
/// own keys switches encryption off, or back to provider-held keys, only with a statement
/// signed by its key.
#[utoipa::path(
    operation_id = "update_encryption",
    tag = "keys",
    params(TenantPath, SignedStatementParams),
    request_body = EncryptionUpdate,
    responses(
        (status = 200, description = "The new settings", body = EncryptionSettings),
        (status = 403, description = "A tenant that holds its own keys switches encryption off, or back to provider-held keys, only with a statement signed by its key"),
        (status = 409, description = "No active key yet, or private keys in the way of tenant-held mode"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[patch("/api/v1/tenants/{tenant}/encryption")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    signed: SignedHeaders,
    body: Json<EncryptionUpdate>,
) -> Result<HttpResponse, ApiError> {
    let settings = settings::update(
        &state.handles(),
        &access.tenant,
        body.into_inner(),
        signed.0,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(settings))
}
