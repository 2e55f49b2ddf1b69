//! `/api/v1/tenants/{tenant}/recordings/export` and `/import`: sealed archives, in and out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use callvault_shared::api::{ExportRequest, ImportOutcome};
use futures_util::StreamExt;

use crate::domain::archive::export as archive_export;
use crate::domain::archive::import as archive_import;
use crate::domain::recordings::ingest;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::idempotency_key::{IdempotencyHeader, IdempotencyParam, replay};
use crate::http::json::Json;
use crate::http::openapi::Binary;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// The selected recordings as a ZIP archive, streamed: the files exactly as stored (sealed
/// recordings stay sealed; nothing is decrypted, so no grant is needed) and `manifest.json`.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath),
    request_body = ExportRequest,
    responses(
        (status = 200, description = "The archive", content_type = "application/zip", body = inline(Binary)),
        (status = 400, description = "Neither ids nor a filter, an unknown id, or too many recordings"),
    ),
    security(("bearer" = ["recordings_export"]), ("session_cookie" = ["recordings_export"]))
)]
#[post("/api/v1/tenants/{tenant}/recordings/export")]
pub async fn export(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsExport>,
    body: Json<ExportRequest>,
) -> Result<HttpResponse, ApiError> {
    let tenant = &access.tenant;
    let items = archive_export::select(
        &state.db,
        tenant,
        body.into_inner(),
        access.principal.role().is_provider_staff(),
        &access.actor(),
    )
    .await?;
    let body = archive_export::stream(state.store.clone(), items);
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"callvault-{}-recordings.zip\"",
                tenant.slug
            ),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// Imports an archive (the ZIP as the raw body): every file is checked against the manifest,
/// then the recordings are registered in this tenant, still sealed. They play once the key they
/// are sealed with is imported here and granted.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath, IdempotencyParam),
    request_body(content = inline(Binary), description = "A callvault archive", content_type = "application/zip"),
    responses(
        (status = 408, description = "The upload stalled: nothing arrived for the idle limit; nothing was kept"),
        (status = 200, description = "Imported; with `Idempotent-Replayed: true`, by an earlier request with the same `Idempotency-Key`", body = ImportOutcome),
        (status = 400, description = "Not an acceptable archive (the detail says why); nothing was stored"),
        (status = 413, description = "Larger than the upload limit"),
        (status = 415, description = "Not sent as application/zip"),
        (status = 422, description = "The `Idempotency-Key` was used for another request"),
    ),
    security(("bearer" = ["recordings_upload"]), ("session_cookie" = ["recordings_upload"]))
)]
#[post("/api/v1/tenants/{tenant}/recordings/import")]
pub async fn import(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsUpload>,
    idempotency_key: IdempotencyHeader,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/zip") {
        return Err(ApiError::UnsupportedMediaType(
            "send the archive as Content-Type: application/zip".into(),
        ));
    }
    let body = ingest::cut_off_when_idle(
        body.map(|chunk| chunk.map_err(ingest::payload_error)),
        state.limits.upload_idle,
    );
    let imported = archive_import::into_tenant(
        &state.db,
        &state.store,
        &access.tenant,
        &access.actor(),
        body,
        state.limits.max_upload_bytes,
        idempotency_key.0,
    )
    .await?;
    Ok(match imported {
        archive_import::Imported::New(outcome) => HttpResponse::Ok().json(outcome),
        archive_import::Imported::Replayed(earlier) => replay(earlier),
    })
}
