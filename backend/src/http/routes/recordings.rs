//! `/api/v1/tenants/{tenant}/recordings`: upload, the catalogue, playback.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use callvault_shared::api::{Direction, Recording, RecordingPage};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry};
use crate::domain::recordings::{self, ingest, playback};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::idempotency_key::{IdempotencyHeader, IdempotencyParam, replay};
use crate::http::json::Json;
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::recording;

/// Uploads a recording: the audio as the raw body with its own `Content-Type` and the metadata
/// as query parameters, or as `multipart/form-data` with a JSON part `metadata` followed by
/// the audio as the part `file`. It is sealed with the tenant's active key when encryption is
/// on, as it streams in.
#[utoipa::path(
    tag = "recordings",
    params(TenantPath, ingest::Metadata, IdempotencyParam),
    request_body(content(
        (Vec<u8> = "audio/*"),
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

/// Filters of the catalogue; all optional, combined with "and".
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordingQuery {
    /// Calls that started at or after this instant.
    from: Option<DateTime<Utc>>,
    /// Calls that started before this instant.
    to: Option<DateTime<Utc>>,
    caller: Option<String>,
    callee: Option<String>,
    agent: Option<String>,
    direction: Option<Direction>,
    external_id: Option<String>,
    /// Recordings carrying this tag.
    tag: Option<String>,
    #[param(value_type = Option<u64>, maximum = 4294967295u64)]
    #[schema(value_type = Option<u64>, maximum = 4294967295u64)]
    min_duration_ms: Option<u32>,
    #[param(value_type = Option<u64>, maximum = 4294967295u64)]
    #[schema(value_type = Option<u64>, maximum = 4294967295u64)]
    max_duration_ms: Option<u32>,
    /// Newest (the default) or oldest first, by upload.
    #[param(inline)]
    sort: Option<Sort>,
    /// The `next_cursor` of the previous page.
    cursor: Option<Uuid>,
    /// Recordings per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    #[schema(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    Newest,
    Oldest,
}

impl RecordingQuery {
    /// The tenant's recordings that pass every filter given.
    pub fn select(&self, tenant_id: Uuid) -> Result<sea_orm::Select<recording::Entity>, ApiError> {
        let query = self;
        let mut select =
            recording::Entity::find().filter(recording::Column::TenantId.eq(tenant_id));
        if let Some(from) = query.from {
            select = select.filter(recording::Column::StartedAt.gte(from));
        }
        if let Some(to) = query.to {
            select = select.filter(recording::Column::StartedAt.lt(to));
        }
        for (column, value) in [
            (recording::Column::Caller, &query.caller),
            (recording::Column::Callee, &query.callee),
            (recording::Column::Agent, &query.agent),
            (recording::Column::ExternalId, &query.external_id),
        ] {
            if let Some(value) = value {
                select = select.filter(column.eq(value.as_str()));
            }
        }
        if let Some(direction) = query.direction {
            select = select.filter(recording::Column::Direction.eq(direction.as_str()));
        }
        if let Some(tag) = &query.tag {
            // Tags are stored as a JSON array of strings; a quoted match finds whole tags only.
            let quoted = serde_json::to_string(tag).map_err(ApiError::internal)?;
            select = select.filter(recording::Column::Tags.contains(quoted.as_str()));
        }
        if let Some(min) = query.min_duration_ms {
            select = select.filter(recording::Column::DurationMs.gte(i64::from(min)));
        }
        if let Some(max) = query.max_duration_ms {
            select = select.filter(recording::Column::DurationMs.lte(i64::from(max)));
        }
        Ok(select)
    }
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
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 500".into()));
    }
    let oldest_first = query.sort == Some(Sort::Oldest);
    let mut select = query.select(access.tenant.id)?;
    if let Some(cursor) = query.cursor {
        select = if oldest_first {
            select.filter(recording::Column::Id.gt(cursor))
        } else {
            select.filter(recording::Column::Id.lt(cursor))
        };
    }
    select = if oldest_first {
        select.order_by_asc(recording::Column::Id)
    } else {
        select.order_by_desc(recording::Column::Id)
    };
    let mut rows = select.limit(u64::from(limit) + 1).all(&state.db).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|row| row.id.to_string()))
        .flatten();
    let mut recordings = Vec::with_capacity(rows.len());
    for row in rows {
        recordings.push(recordings::to_api(row));
    }
    Ok(HttpResponse::Ok().json(RecordingPage {
        recordings,
        next_cursor,
    }))
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

/// The fields of a recording that may change after upload.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordingUpdate {
    /// At most 32 tags of 1 to 64 characters.
    #[schema(max_items = 32)]
    tags: Option<Vec<String>>,
    agent: Option<String>,
    external_id: Option<String>,
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
    let row = recordings::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    let RecordingUpdate {
        tags,
        agent,
        external_id,
    } = body.into_inner();
    let short = |value: &Option<String>| {
        value
            .as_ref()
            .is_none_or(|v| v.chars().count() <= 200 && !v.chars().any(char::is_control))
    };
    if !short(&agent) || !short(&external_id) {
        return Err(ApiError::BadRequest(
            "agent and external_id have at most 200 characters and no control characters".into(),
        ));
    }
    let mut active = row.into_active_model();
    if let Some(tags) = tags {
        if tags.len() > 32
            || tags
                .iter()
                .any(|tag| tag.is_empty() || tag.chars().count() > 64)
        {
            return Err(ApiError::BadRequest(
                "at most 32 tags of 1 to 64 characters".into(),
            ));
        }
        active.tags = Set(serde_json::to_string(&tags).map_err(ApiError::internal)?);
    }
    if agent.is_some() {
        active.agent = Set(agent);
    }
    if external_id.is_some() {
        active.external_id = Set(external_id);
    }
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "recording.update")
            .object("recording", row.id),
    )
    .await?;
    txn.commit().await?;
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
    let row = recordings::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    let (id, object_key) = (row.id, row.object_key.clone());
    // The row first, with its audit record: once it is gone nothing lists the recording, and
    // bytes left behind by a failure below are a stray for the sweeper, never a recording
    // without bytes.
    let txn = crate::infra::database::begin_write(&state.db).await?;
    row.delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "recording.delete")
            .object("recording", id),
    )
    .await?;
    txn.commit().await?;
    if let Err(error) = state
        .store
        .delete(&ObjectPath::from(object_key.as_str()))
        .await
    {
        tracing::warn!(recording = %id, error = %error, "deleted recording's bytes stay for the sweeper");
    }
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
        (status = 200, description = "The stored file (sealed, or the audio when stored in plaintext)", content_type = "application/octet-stream", body = Vec<u8>),
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

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AudioQuery {
    /// `true`: as a download (`Content-Disposition: attachment`).
    download: Option<bool>,
}

/// The audio, decrypted in flight, with `Range` support for seeking. A sealed recording needs
/// a grant on its key.
#[utoipa::path(
    tag = "recordings",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The recording's id"),
        AudioQuery,
    ),
    responses(
        (status = 200, description = "The whole audio", content_type = "audio/*", body = Vec<u8>),
        (status = 206, description = "The requested range", content_type = "audio/*", body = Vec<u8>),
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
    let row = recordings::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    let range = request
        .headers()
        .get(actix_web::http::header::RANGE)
        .and_then(|value| value.to_str().ok());
    let download = query.download == Some(true);
    let result = playback::respond(&state, &access.principal, &row, range, download).await;
    // Each request of a seeking player is one record: what was heard is what was served.
    let outcome = match &result {
        Ok(_) => callvault_shared::api::AuditOutcome::Success,
        Err(ApiError::Forbidden(_)) => callvault_shared::api::AuditOutcome::Denied,
        Err(_) => callvault_shared::api::AuditOutcome::Failure,
    };
    audit::record(
        &state.db,
        AuditEntry::new(
            access.tenant.id,
            &access.actor(),
            if download {
                "recording.download"
            } else {
                "recording.play"
            },
        )
        .object("recording", row.id)
        .outcome(outcome)
        .details(serde_json::json!({ "range": range })),
    )
    .await?;
    result
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
