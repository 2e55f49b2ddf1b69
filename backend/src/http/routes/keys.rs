//! `/api/v1/tenants/{tenant}/keys`: the tenant's encryption keys and their grants.

use actix_web::{HttpResponse, delete, get, post, web};
use callvault_shared::api::{
    EncryptionKey, KeyChain, KeyDestroy, KeyDestroyed, KeyExport, KeyHolder, NewGrant, NewKey,
    StatementRequest, StatementToSign,
};
use uuid::Uuid;

use crate::domain::encryption_keys::{self, grants, lifecycle};
use crate::domain::tenant_held;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::signed_statement::{SignedHeaders, SignedStatementParams};
use crate::http::state::AppState;

/// The tenant's keys, newest first.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 200, description = "Keys", body = Vec<EncryptionKey>),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
) -> Result<HttpResponse, ApiError> {
    let keys = encryption_keys::list(&state.db, &access.tenant).await?;
    Ok(HttpResponse::Ok().json(keys))
}

/// Creates a key (`{"bits"}`), imports a private key file (`{"private_key_pem", "passphrase"}`)
/// or a public key alone (`{"public_key_pem"}`). The System account's key must exist first.
/// Whoever creates or imports a private key holds the first grant on it; provider staff
/// creating a tenant's key name the tenant user who does (`grant_to`). The tenant's first key
/// becomes its active key.
#[utoipa::path(
    tag = "keys",
    params(TenantPath, SignedStatementParams),
    request_body = NewKey,
    responses(
        (status = 201, description = "Created", body = EncryptionKey),
        (status = 400, description = "A malformed key file, a wrong passphrase, an unsupported size, or a missing `grant_to`"),
        (status = 403, description = "In a tenant that holds its own keys: no valid statement signed by the tenant's key came with the request"),
        (status = 409, description = "No System key yet, the key exists already, or tenant-held mode refuses private keys"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys")]
pub async fn create(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    signed: SignedHeaders,
    body: Json<NewKey>,
) -> Result<HttpResponse, ApiError> {
    let key = lifecycle::create(
        &state.handles(),
        &access.tenant,
        access.principal.user(),
        body.into_inner(),
        signed.0,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(key))
}

/// One key with its holders.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "The key", body = EncryptionKey),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::show(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(key))
}

/// The public key, as a PEM file: to give to a recorder, or to check a fingerprint.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "`PUBLIC KEY` PEM", content_type = "application/x-pem-file", body = String),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}/public-key")]
pub async fn public_key(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let file = lifecycle::public_key(&state.db, &access.tenant, path.1).await?;
    Ok(pem_file(
        file.pem.to_string(),
        &format!("callvault-{}-public.pem", &file.fingerprint[..16]),
    ))
}

/// The private key as an encrypted PKCS#8 PEM file under the caller's passphrase, for
/// safekeeping and for moving recordings elsewhere. Only a holder of a grant can export;
/// `openssl pkey -passin` opens the file.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    request_body = KeyExport,
    responses(
        (status = 200, description = "`ENCRYPTED PRIVATE KEY` PEM", content_type = "application/x-pem-file", body = String),
        (status = 400, description = "The passphrase is too short"),
        (status = 403, description = "The role does not allow it, or the caller holds no grant"),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "A public-only or destroyed key has no private half here"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/export")]
pub async fn export(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
    body: Json<KeyExport>,
) -> Result<HttpResponse, ApiError> {
    let file = lifecycle::export(
        &state.db,
        &access.tenant,
        path.1,
        &access.principal.holder(),
        &access.principal.user().username,
        body.into_inner().passphrase,
        &access.actor(),
    )
    .await?;
    Ok(pem_file(
        file.pem.to_string(),
        &format!("callvault-{}.pem", &file.fingerprint[..16]),
    ))
}

fn pem_file(pem: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(pem)
}

/// Makes the key the one new recordings are sealed with.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
        SignedStatementParams,
    ),
    responses(
        (status = 200, description = "The key, now active", body = EncryptionKey),
        (status = 403, description = "In a tenant that holds its own keys: no valid statement signed by the tenant's key came with the request"),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "A retired or destroyed key never seals again"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/activate")]
pub async fn activate(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    signed: SignedHeaders,
) -> Result<HttpResponse, ApiError> {
    let key =
        lifecycle::activate(&state.db, &access.tenant, path.1, signed.0, &access.actor()).await?;
    Ok(HttpResponse::Ok().json(key))
}

/// Retires a key: it still opens what it sealed, and never seals again.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
        SignedStatementParams,
    ),
    responses(
        (status = 200, description = "The key, now retired", body = EncryptionKey),
        (status = 403, description = "In a tenant that holds its own keys: no valid statement signed by the tenant's key came with the request"),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "The active key while encryption is on, or a destroyed key"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/retire")]
pub async fn retire(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    signed: SignedHeaders,
) -> Result<HttpResponse, ApiError> {
    let key =
        lifecycle::retire(&state.db, &access.tenant, path.1, signed.0, &access.actor()).await?;
    Ok(HttpResponse::Ok().json(key))
}

/// Crypto-shredding: deletes every grant, so that what the key alone sealed can no longer be
/// opened here. Refused while recordings depend on it unless the request confirms it.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
        SignedStatementParams,
    ),
    request_body = KeyDestroy,
    responses(
        (status = 200, description = "Destroyed", body = KeyDestroyed),
        (status = 403, description = "In a tenant that holds its own keys: no valid statement signed by the tenant's key came with the request"),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "Recordings depend on it (the detail says how many) and the request did not confirm, or it is the active key while encryption is on"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/destroy")]
pub async fn destroy(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    signed: SignedHeaders,
    body: Json<KeyDestroy>,
) -> Result<HttpResponse, ApiError> {
    let destroyed = lifecycle::destroy(
        &state.db,
        &access.tenant,
        path.1,
        body.recordings_become_unrecoverable,
        signed.0,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(destroyed))
}

/// Who holds the key.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "Holders", body = Vec<KeyHolder>),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}/grants")]
pub async fn list_grants(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let holders = grants::holders(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(holders))
}

/// Grants the key to a user of the same tenant. Only a holder can: the key's private half is
/// opened with the caller's own grant and sealed to the grantee's key. A role never suffices.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    request_body = NewGrant,
    responses(
        (status = 201, description = "Granted", body = KeyHolder),
        (status = 403, description = "The role does not allow it, or the caller holds no grant"),
        (status = 404, description = "No such key, or no such user in this tenant"),
        (status = 409, description = "Already granted, a key without a private half here, or a user who never signed in"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/grants")]
pub async fn grant(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<NewGrant>,
) -> Result<HttpResponse, ApiError> {
    let holder = grants::grant(
        &state.db,
        &access.tenant,
        path.1,
        body.user_id,
        &access.principal.holder(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(holder))
}

/// Revokes a user's grant: their sealed copy of the key is deleted.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
        ("user" = Uuid, Path, description = "The holder's user id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key in this tenant, or that user holds no grant on it"),
        (status = 409, description = "The last holder of a key that recordings depend on"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[delete("/api/v1/tenants/{tenant}/keys/{id}/grants/{user}")]
pub async fn revoke(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key_id, user_id) = path.into_inner();
    grants::revoke(&state.db, &access.tenant, key_id, user_id, &access.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The tenant's key chain: the key pinned when it began holding its own keys, and every
/// change since, with the statement its key signed. `callvault verify --chain` checks it, and
/// sealed recordings against it, offline.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 200, description = "The chain, oldest link first (empty for a tenant whose keys the provider holds)", body = KeyChain),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/chain")]
pub async fn chain(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
) -> Result<HttpResponse, ApiError> {
    let chain = tenant_held::chain(&state.db, &access.tenant).await?;
    Ok(HttpResponse::Ok().json(chain))
}

/// A statement of a change for the tenant's key to sign, with a single-use nonce: what a
/// tenant that holds its own keys sends (signed, in the `Callvault-Statement` and
/// `Callvault-Signature` headers) with every change that lowers protection.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    request_body = StatementRequest,
    responses(
        (status = 201, description = "The statement to sign", body = StatementToSign),
        (status = 400, description = "A malformed fingerprint, or `pin`"),
        (status = 409, description = "The provider holds this tenant's keys: nothing to sign"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/statements")]
pub async fn statement(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    body: Json<StatementRequest>,
) -> Result<HttpResponse, ApiError> {
    let statement =
        tenant_held::statement_to_sign(&state.db, &access.tenant, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(statement))
}
