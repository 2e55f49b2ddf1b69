//! `/api/v1/tenants/{tenant}/recordings/export` and `/import`: sealed archives, in and out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use callvault_shared::api::{AuditOutcome, ExportRequest, ImportOutcome};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::domain::archive::export as archive_export;
use crate::domain::archive::read::{
    ArchiveError, Destination, ImportReport, Witness, import_archive,
};
use crate::domain::audit::{self, AuditEntry};
use crate::domain::idempotency::{self, Pending};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::idempotency_key::{IdempotencyHeader, IdempotencyParam, replay};
use crate::http::json::Json;
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;

/// The audit action of an import, and the operation its idempotency keys are used for.
const IMPORT: &str = "recording.import";

/// The selected recordings as a ZIP archive, streamed: the files exactly as stored (sealed
/// recordings stay sealed; nothing is decrypted, so no grant is needed) and `manifest.json`.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath),
    request_body = ExportRequest,
    responses(
        (status = 200, description = "The archive", content_type = "application/zip", body = Vec<u8>),
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
    let items =
        archive_export::select(&state.db, tenant, body.into_inner(), &access.actor()).await?;
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
    request_body(content = Vec<u8>, description = "A callvault archive", content_type = "application/zip"),
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
    // The archive is read from the end (its directory), so it is spooled to a private,
    // already-unlinked temporary file first.
    let spool = tempfile::tempfile().map_err(ApiError::internal)?;
    let mut spool = tokio::fs::File::from_std(spool);
    let mut size = 0u64;
    let mut hasher = Sha256::new();
    let mut body = crate::domain::recordings::ingest::cut_off_when_idle(
        body.map(|chunk| chunk.map_err(crate::domain::recordings::ingest::payload_error)),
        state.limits.upload_idle,
    );
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > state.limits.max_upload_bytes {
            return Err(ApiError::TooLarge(format!(
                "the archive is larger than the limit of {} bytes",
                state.limits.max_upload_bytes
            )));
        }
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut spool, &chunk)
            .await
            .map_err(ApiError::internal)?;
    }
    let pending = idempotency_key.0.map(|key| {
        let user_id = access.principal.user().id;
        Pending::new(
            access.tenant.id,
            user_id,
            key,
            IMPORT,
            &[&hasher.finalize()[..]],
        )
    });
    if let Some(pending) = &pending
        && let Some(earlier) = idempotency::earlier(&state.db, pending).await?
    {
        return Ok(replay(earlier));
    }
    let spool = spool.into_std().await;
    let witness = Witness {
        log_tenant_id: access.tenant.id,
        actor: access.actor(),
        action: IMPORT,
        idempotency: pending.clone(),
    };
    let (db, store, tenant) = (state.db.clone(), state.store.clone(), access.tenant.clone());
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        import_archive(
            &handle,
            &db,
            &store,
            spool,
            &Destination::Tenant(tenant),
            Some(&witness),
            |_| {},
        )
    })
    .await?;
    let ImportReport {
        imported,
        already_present,
    } = match report {
        Ok(report) => report,
        Err(ArchiveError::Invalid(reason)) => {
            audit::record(
                &state.db,
                AuditEntry::new(access.tenant.id, &access.actor(), IMPORT)
                    .outcome(AuditOutcome::Failure)
                    .details(serde_json::json!({ "refused": reason })),
            )
            .await?;
            return Err(ApiError::BadRequest(format!(
                "the archive is refused: {reason}"
            )));
        }
        Err(ArchiveError::Failed(error)) => {
            // A request racing this one with the same key may have committed first.
            if let Some(pending) = &pending {
                match idempotency::earlier(&state.db, pending).await {
                    Ok(Some(earlier)) => return Ok(replay(earlier)),
                    Err(reused @ idempotency::IdempotencyError::Reused) => {
                        return Err(reused.into());
                    }
                    _ => {}
                }
            }
            audit::record_or_log(
                &state.db,
                AuditEntry::new(access.tenant.id, &access.actor(), IMPORT)
                    .outcome(AuditOutcome::Failure),
            )
            .await;
            return Err(error.into());
        }
    };
    Ok(HttpResponse::Ok().json(ImportOutcome {
        imported,
        already_present,
    }))
}
