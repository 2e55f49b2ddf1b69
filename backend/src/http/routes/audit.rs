//! `/api/v1/tenants/{tenant}/audit`: reading, verifying, exporting and checkpointing a tenant's
//! audit log; `/api/v1/audit/signing-key`: the public key that verifies checkpoints.

use actix_web::{HttpResponse, get, web};
use callvault_shared::api::{AuditCheckpoint, AuditPage, AuditSigningKey, AuditVerification};
use futures_util::TryStreamExt;

use crate::domain::audit::checkpoint as checkpoints;
use crate::domain::audit::log::{self, AuditFilter, AuditPageQuery};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// A page of the tenant's audit log, newest first.
#[utoipa::path(
    tag = "audit",
    params(TenantPath, AuditPageQuery),
    responses(
        (status = 200, description = "Records, newest first", body = AuditPage),
        (status = 400, description = "Bad filter"),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
    query: web::Query<AuditPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = log::page(&state.db, access.tenant.id, &query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Walks the tenant's hash chain and reports every record that was altered, removed or
/// inserted.
#[utoipa::path(
    tag = "audit",
    params(TenantPath),
    responses(
        (status = 200, description = "The verdict; `intact` is false when anything was tampered with", body = AuditVerification),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit/verify")]
pub async fn verify_chain(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
) -> Result<HttpResponse, ApiError> {
    let verdict = log::check(&state.db, access.tenant.id).await?;
    Ok(HttpResponse::Ok().json(verdict))
}

/// The whole log (or the filtered part), oldest first, as JSON Lines: one record per line,
/// streamed.
#[utoipa::path(
    tag = "audit",
    params(TenantPath, AuditFilter),
    responses(
        (status = 200, description = "One JSON record per line", content_type = "application/jsonl", body = String),
        (status = 400, description = "Bad filter"),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
    query: web::Query<AuditFilter>,
) -> Result<HttpResponse, ApiError> {
    let lines = log::export(
        &state.db,
        access.tenant.id,
        query.into_inner(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jsonl")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-{}.jsonl\"",
                access.tenant.slug
            ),
        ))
        .streaming(lines.map_ok(web::Bytes::from)))
}

/// A signed checkpoint of the tenant's chain: its length and head now, signed with the server's
/// audit signing key, which is kept outside the database. Keep it; `callvault audit verify`
/// later checks an (unfiltered) export against it offline and finds records that were edited,
/// deleted or rewritten since, even when the database's own head was rewritten with them.
/// Taking one is itself recorded, just after the head it signs.
#[utoipa::path(
    tag = "audit",
    params(TenantPath),
    responses(
        (status = 200, description = "The checkpoint; `signature` is Ed25519 over the text `callvault audit checkpoint v1` followed by the `tenant`, `length`, `head` and `time` lines (docs/audit.md)", body = AuditCheckpoint),
        (status = 409, description = "The chain is not intact: the server does not sign it"),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit/checkpoint")]
pub async fn checkpoint(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
) -> Result<HttpResponse, ApiError> {
    let signed = checkpoints::checkpoint(
        &state.db,
        access.tenant.id,
        &state.audit_key,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(signed))
}

/// The public half of the server's audit signing key, which verifies every checkpoint. Public:
/// it is a public key. Compare its fingerprint with one obtained out of band before trusting
/// checkpoints with it.
#[utoipa::path(
    tag = "audit",
    responses(
        (status = 200, description = "The Ed25519 public key", body = AuditSigningKey),
    ),
    security(())
)]
#[get("/api/v1/audit/signing-key")]
pub async fn signing_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(checkpoints::public_key(&state.audit_key))
}
