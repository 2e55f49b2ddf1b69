//! `/api/v1/tenants/{tenant}/audit`: reading, verifying and exporting a tenant's audit log.

use actix_web::{HttpResponse, get, web};
use callvault_shared::api::{AuditPage, AuditVerification};
use futures_util::TryStreamExt;

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
