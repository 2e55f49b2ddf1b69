//! `/api/v1/tenants/{tenant}/recordings`: upload, the catalogue, playback.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use callvault_shared::api::{
    AudioQuery, Recording, RecordingPage, RecordingQuery, RecordingUpdate,
};
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry};
use crate::domain::recordings::playback_log::Listener;
use crate::domain::recordings::{self, catalogue, ingest, playback};
use crate::domain::tenant_held;
use crate::http::audio_response;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::guards::principal::cache_for;
use crate::http::idempotency_key::{IdempotencyHeader, IdempotencyParam, replay};
use crate::http::json::Json;
use crate::http::openapi::Binary;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// Uploads a recording: the audio as the raw body with its own `Content-Type` and the metadata
/// as query parameters, or as `multipart/form-data` with a JSON part `metadata` followed by
/// the audio as the part `file`. It is sealed with the tenant's active key when encryption is
/// on, as it streams in.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath, ingest::Metadata, IdempotencyParam),
    request_body(content(
        (inline(Binary) = "audio/*"),
        (inline(Binary) = "application/octet-stream"),
        (UploadForm = "multipart/form-data"),
    ), description = "The audio (WAV, MP3, Ogg/Opus, FLAC, M4A/AAC or WebM), raw or as a form"),
    responses(
        (status = 201, description = "Stored; with `Idempotent-Replayed: true`, stored by an earlier request with the same `Idempotency-Key`", body = Recording),
        (status = 400, description = "Empty, broken off, or bad metadata"),
        (status = 408, description = "The upload stalled: nothing arrived for the idle limit; nothing was kept"),
        (status = 409, description = "Encryption is on without an active key"),
        (status = 413, description = "Larger than the configured limit"),
        (status = 415, description = "Not a recognised audio file"),
        (status = 422, description = "The `Idempotency-Key` was used for another request"),
        (status = 503, description = "The object store is not available"),
    ),
    security(("bearer" = ["recordings_upload"]), ("session_cookie" = ["recordings_upload"]))
)]
#[post("/api/v1/tenants/{tenant}/recordings")]
pub async fn upload(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsUpload>,
    metadata: web::Query<ingest::Metadata>,
    idempotency_key: IdempotencyHeader,
    request: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let uploader = access.actor();
    let limit = state.limits.max_upload_bytes;
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .map(|value| value.to_str().unwrap_or("?").to_ascii_lowercase());
    let is_form = declared
        .as_deref()
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    if let Some(declared) = declared
        .as_deref()
        .filter(|declared| !may_be_audio(declared))
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "{declared:?} is not audio: send the file as audio/* (or application/octet-stream), or as multipart/form-data; its type is then recognised from its bytes"
        )));
    }
    let stored = if is_form {
        let mut form = actix_multipart::Multipart::new(request.headers(), body);
        let metadata = read_metadata_part(&mut form).await?;
        let file = form
            .next()
            .await
            .ok_or_else(|| {
                ApiError::BadRequest("the form has no part \"file\" after \"metadata\"".into())
            })?
            .map_err(ingest::payload_error)?;
        if file.name() != Some("file") {
            return Err(ApiError::BadRequest(
                "the form's parts must be \"metadata\" (JSON), then \"file\" (the audio)".into(),
            ));
        }
        let file = ingest::cut_off_when_idle(
            file.map(|chunk| chunk.map_err(ingest::payload_error)),
            state.limits.upload_idle,
        );
        ingest::ingest(
            &state.db,
            &state.lane,
            &state.store,
            &access.tenant,
            &uploader,
            metadata.into(),
            file,
            limit,
            idempotency_key.0,
        )
        .await?
    } else {
        let body = ingest::cut_off_when_idle(
            body.map(|chunk| chunk.map_err(ingest::payload_error)),
            state.limits.upload_idle,
        );
        ingest::ingest(
            &state.db,
            &state.lane,
            &state.store,
            &access.tenant,
            &uploader,
            metadata.into_inner(),
            body,
            limit,
            idempotency_key.0,
        )
        .await?
    };
    Ok(match stored {
        ingest::Stored::New(row) => HttpResponse::Created().json(recordings::to_api(*row)),
        ingest::Stored::Replayed(earlier) => replay(earlier),
    })
}

/// A multipart upload, as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The recording's metadata, as JSON.
    metadata: ingest::MetadataJson,
    /// The audio.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The first part of a multipart upload: the metadata, as JSON of at most 64 KiB.
async fn read_metadata_part(
    form: &mut actix_multipart::Multipart,
) -> Result<ingest::MetadataJson, ApiError> {
    let mut part = form
        .next()
        .await
        .ok_or_else(|| ApiError::BadRequest("the form is empty".into()))?
        .map_err(ingest::payload_error)?;
    if part.name() != Some("metadata") {
        return Err(ApiError::BadRequest(
            "the form's parts must be \"metadata\" (JSON), then \"file\" (the audio)".into(),
        ));
    }
    let mut json = Vec::new();
    while let Some(chunk) = part.next().await {
        json.extend_from_slice(&chunk.map_err(ingest::payload_error)?);
        if json.len() > 64 * 1024 {
            return Err(ApiError::TooLarge(
                "the metadata part is larger than 64 KiB".into(),
            ));
        }
    }
    serde_json::from_slice(&json)
        .map_err(|error| ApiError::BadRequest(format!("the metadata part is not valid: {error}")))
}

/// Searches the tenant's recordings.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath, RecordingQuery),
    responses(
        (status = 200, description = "A page of recordings", body = RecordingPage),
        (status = 400, description = "Bad filter"),
    ),
    security(("bearer" = ["recordings_read"]), ("session_cookie" = ["recordings_read"]))
)]
#[get("/api/v1/tenants/{tenant}/recordings")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsRead>,
    query: web::Query<RecordingQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = catalogue::search(&state.db, access.tenant.id, &query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One recording's metadata.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
    ),
    responses(
        (status = 200, description = "The recording", body = Recording),
        (status = 404, description = "No such recording in this tenant"),
    ),
    security(("bearer" = ["recordings_read"]), ("session_cookie" = ["recordings_read"]))
)]
#[get("/api/v1/tenants/{tenant}/recordings/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let row = recordings::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(recordings::to_api(row)))
}

/// Changes a recording's tags, agent or external id.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
    ),
    request_body = RecordingUpdate,
    responses(
        (status = 200, description = "The changed recording", body = Recording),
        (status = 400, description = "Bad values"),
        (status = 404, description = "No such recording in this tenant"),
    ),
    security(("bearer" = ["recordings_manage"]), ("session_cookie" = ["recordings_manage"]))
)]
#[patch("/api/v1/tenants/{tenant}/recordings/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<RecordingUpdate>,
) -> Result<HttpResponse, ApiError> {
    let row = catalogue::update(
        &state.db,
        &access.tenant,
        path.1,
        body.into_inner(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(recordings::to_api(row)))
}

/// Deletes a recording and its bytes.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such recording in this tenant"),
    ),
    security(("bearer" = ["recordings_manage"]), ("session_cookie" = ["recordings_manage"]))
)]
#[delete("/api/v1/tenants/{tenant}/recordings/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsManage>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    catalogue::remove(
        &state.db,
        &state.store,
        &access.tenant,
        path.1,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The recording's file exactly as stored: sealed, it opens only with its key, on the
/// tenant's side (a tenant-held key in the browser, or `callvault open`). Needs no grant.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
    ),
    responses(
        (status = 200, description = "The stored file (sealed, or the audio when stored in plaintext)", content_type = "application/octet-stream", body = inline(Binary)),
        (status = 404, description = "No such recording in this tenant"),
        (status = 500, description = "The recording is damaged: its stored bytes are missing (`callvault check` lists such recordings)"),
        (status = 503, description = "The object store is not available"),
    ),
    security(("bearer" = ["recordings_export"]), ("session_cookie" = ["recordings_export"]))
)]
#[get("/api/v1/tenants/{tenant}/recordings/{id}/file")]
pub async fn stored_file(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsExport>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let row = recordings::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    if !row.sealed {
        tenant_held::refuse_plaintext_to_staff(
            &access.tenant,
            access.principal.role().is_provider_staff(),
        )?;
    }
    let stored = state
        .store
        .get(&ObjectPath::from(row.object_key.as_str()))
        .await
        .map_err(|error| match error {
            object_store::Error::NotFound { .. } => {
                playback::damaged(&row, "its stored bytes are missing")
            }
            error => ingest::storage_error(error),
        })?;
    audit::record(
        &state.db,
        AuditEntry::new(
            access.tenant.id,
            &access.actor(),
            "recording.download_sealed",
        )
        .object("recording", row.id),
    )
    .await?;
    let body = stored
        .into_stream()
        .map(|chunk| chunk.map_err(ingest::storage_error));
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"recording-{}.{}\"",
                row.id,
                if row.sealed { "cvrec" } else { "audio" }
            ),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}

/// The audio, decrypted in flight, with `Range` support for seeking. A sealed recording needs
/// a grant on its key.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
        AudioQuery,
        ("Range" = Option<String>, Header, description = "One range of RFC 9110, as `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, answered 206; several ranges or a malformed header get the whole audio"),
    ),
    responses(
        (status = 200, description = "The whole audio", content_type = "audio/*", body = inline(Binary),
            headers(("Accept-Ranges" = String, description = "`bytes`: a `Range` may be asked for"))),
        (status = 206, description = "The requested range", content_type = "audio/*", body = inline(Binary),
            headers(("Content-Range" = String, description = "`bytes first-last/length` of the range served"))),
        (status = 403, description = "The role does not allow it, no grant on the key, or a tenant-held key"),
        (status = 404, description = "No such recording in this tenant"),
        (status = 410, description = "Unrecoverable: its key was destroyed"),
        (status = 416, description = "The range starts beyond the end"),
        (status = 500, description = "The recording is damaged: its stored bytes are missing, short or do not open (`callvault check` lists such recordings)"),
        (status = 503, description = "The object store is not available"),
    ),
    security(("bearer" = ["recordings_play"]), ("session_cookie" = ["recordings_play"]))
)]
#[get("/api/v1/tenants/{tenant}/recordings/{id}/audio")]
pub async fn audio(
    state: web::Data<AppState>,
    access: InTenant<need::RecordingsPlay>,
    path: web::Path<(String, Uuid)>,
    query: web::Query<AudioQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let cache = cache_for(&request, &state);
    let row = recordings::find_in_tenant_cached(&state.db, cache, &access.tenant, path.1).await?;
    let range = request
        .headers()
        .get(actix_web::http::header::RANGE)
        .and_then(|value| value.to_str().ok());
    let download = query.download == Some(true);
    let record = AuditEntry::new(
        access.tenant.id,
        &access.actor(),
        if download {
            "recording.download"
        } else {
            "recording.play"
        },
    )
    .object("recording", row.id);
    let result = async {
        if !row.sealed {
            tenant_held::refuse_plaintext_to_staff(
                &access.tenant,
                access.principal.role().is_provider_staff(),
            )?;
        }
        let wanted = audio_response::parse_range(range, row.size_bytes.max(0) as u64)?;
        let audio = playback::play_latest(
            &state.db,
            cache,
            &state.reads,
            &state.opened,
            &access.principal.holder(),
            &row,
            wanted.clone(),
        )
        .await?;
        let served = wanted.clone().unwrap_or(0..row.size_bytes.max(0) as u64);
        Ok::<_, ApiError>((
            audio_response::respond(&row, audio, wanted, download),
            served,
        ))
    }
    .await;
    match result {
        // On the record before a byte leaves: the first request of a playback waits for its
        // record, the later ones join its tally (`playback_log`).
        Ok((response, served)) => {
            let listener = Listener {
                credential: access.principal.credential_id(),
                recording: row.id,
                download,
            };
            state
                .playbacks
                .note(&state.lane, listener, &record, range, served)
                .await?;
            Ok(response)
        }
        Err(error) => {
            let outcome = match &error {
                ApiError::Forbidden(_) => callvault_shared::api::AuditOutcome::Denied,
                _ => callvault_shared::api::AuditOutcome::Failure,
            };
            let record = record
                .outcome(outcome)
                .details(serde_json::json!({ "range": range }));
            audit::record(&state.db, record).await?;
            Err(error)
        }
    }
}

/// Whether a declared `Content-Type` can carry a recording. The stored type is recognised from
/// the bytes whatever this says; a type that says it is something else is refused unread.
fn may_be_audio(declared: &str) -> bool {
    let essence = declared.split(';').next().unwrap_or_default().trim();
    essence.starts_with("audio/")
        || essence.starts_with("multipart/form-data")
        // Recorders label WebM and MP4 audio as video as often as not.
        || matches!(
            essence,
            "application/octet-stream" | "video/webm" | "video/mp4" | "application/ogg"
        )
}
