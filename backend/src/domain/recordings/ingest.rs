//! Upload: the audio streams from the request into the object store, sealed on the way when
//! the tenant's encryption is on, so that no plaintext copy touches disk or store. The
//! catalogue row is written only once the bytes are complete.

use bytes::Bytes;
use callvault_shared::api::Direction;
use callvault_shared::crypto::Native;
use callvault_shared::sealed::Sealer;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayloadMut, WriteMultipart};
use sea_orm::{ActiveModelTrait, DatabaseConnection, IntoActiveModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::length::LengthReader;
use super::{metadata, sniff};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::idempotency::{self, IdempotencyKey, Pending, Remembered};
use crate::infra::commit_lane::CommitLane;
use crate::infra::entities::{recording, tenant};
use crate::infra::storage::Store;

/// Keep at most this many part uploads in flight: memory stays bounded whatever the size.
const MAX_PARTS_IN_FLIGHT: usize = 2;
/// A recording up to this size is written with one `PUT` (see [`ObjectWriter`]).
const SINGLE_PUT_MAX: usize = 4 * 1024 * 1024;

/// A recording's metadata, as query parameters of a raw upload.
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// When the call started (RFC 3339).
    pub started_at: Option<DateTime<Utc>>,
    /// The call's length, where the container does not tell it.
    #[param(value_type = Option<u64>, maximum = 4294967295u64)]
    #[schema(value_type = Option<u64>, maximum = 4294967295u64)]
    pub duration_ms: Option<u32>,
    pub direction: Option<Direction>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    /// The recorder's own id for the call.
    pub external_id: Option<String>,
    /// Comma-separated.
    pub tags: Option<String>,
}

/// The same metadata as the JSON part of a multipart upload, with tags as a list.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataJson {
    pub started_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<u64>, maximum = 4294967295u64)]
    pub duration_ms: Option<u32>,
    pub direction: Option<Direction>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    pub external_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

impl From<MetadataJson> for Metadata {
    fn from(json: MetadataJson) -> Self {
        Self {
            started_at: json.started_at,
            duration_ms: json.duration_ms,
            direction: json.direction,
            caller: json.caller,
            callee: json.callee,
            agent: json.agent,
            external_id: json.external_id,
            tags: (!json.tags.is_empty()).then(|| json.tags.join(",")),
        }
    }
}

impl Metadata {
    fn check(&self) -> Result<(Option<Direction>, Vec<String>), DomainError> {
        for (name, value) in [
            ("caller", &self.caller),
            ("callee", &self.callee),
            ("agent", &self.agent),
            ("external_id", &self.external_id),
        ] {
            metadata::check_text(name, value.as_deref())?;
        }
        let tags = metadata::tags(self.tags.as_deref().unwrap_or_default().split(','))?;
        Ok((self.direction, tags))
    }
}

/// The audit action of an upload, and the operation its idempotency keys are used for.
pub const ACTION: &str = "recording.upload";

/// What an upload ended in.
#[derive(Debug)]
pub enum Stored {
    /// A new recording, committed with its audit record.
    New(Box<recording::Model>),
    /// The answer an earlier request with the same `Idempotency-Key` got; nothing new kept.
    Replayed(Remembered),
}

/// Stores one recording from `body`, sealed if the tenant's encryption is on. The bytes are
/// durable in the store before the row, its audit record and the idempotency key's answer
/// commit, together.
#[allow(clippy::too_many_arguments)]
pub async fn ingest(
    db: &DatabaseConnection,
    lane: &CommitLane,
    store: &Store,
    tenant: &tenant::Model,
    uploader: &Actor,
    metadata: Metadata,
    mut body: impl Stream<Item = Result<Bytes, DomainError>> + Unpin,
    max_bytes: u64,
    idempotency_key: Option<IdempotencyKey>,
) -> Result<Stored, DomainError> {
    let (direction, tags) = metadata.check()?;
    let described = serde_json::to_vec(&metadata).map_err(DomainError::internal)?;
    let (head, ended) = read_head(&mut body).await?;
    let (content_type, duration_ms) = recognise(&head, metadata.duration_ms)?;

    let id = Uuid::now_v7();
    let sealing = if tenant.encryption_enabled {
        Some(
            crate::domain::encryption_keys::sealing_key(db, tenant)
                .await?
                .ok_or_else(|| {
                    DomainError::Conflict(
                        "encryption is on but the tenant has no active key: activate one".into(),
                    )
                })?,
        )
    } else {
        None
    };
    let sealer = match &sealing {
        Some((_, public)) => Some(
            Sealer::new(*id.as_bytes(), content_type, &[public]).map_err(DomainError::internal)?,
        ),
        None => None,
    };
    let object_key = super::object_key(tenant.id, id);
    let location = ObjectPath::from(object_key.as_str());
    let rest = futures_util::stream::iter([Ok(Bytes::from(head))])
        .chain(futures_util::stream::iter((!ended).then_some(body)).flatten());
    // The length is read from the plaintext on its way to the sealer, never from a copy.
    let length = LengthReader::start(content_type);
    let rest: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, DomainError>>>> = match &length {
        Some(reader) => {
            let feeder = reader.feeder();
            Box::pin(rest.then(move |chunk| {
                let feeder = feeder.clone();
                async move {
                    if let Ok(bytes) = &chunk {
                        // A reader that gave up takes nothing more; the upload goes on.
                        let _ = feeder.send(bytes.clone()).await;
                    }
                    chunk
                }
            }))
        }
        None => Box::pin(rest),
    };
    let written = write_object(store, &location, sealer, rest, max_bytes).await?;
    let duration_ms = match length {
        Some(reader) => reader.finish().await.or(duration_ms),
        None => duration_ms,
    };

    // Keys are per user; the command line, which has none, sends no key.
    let pending = idempotency_key.zip(uploader.id).map(|(key, user_id)| {
        Pending::new(
            tenant.id,
            user_id,
            key,
            ACTION,
            &[written.sha256.as_bytes(), &described],
        )
    });
    let row = recording::Model {
        id,
        tenant_id: tenant.id,
        object_key,
        content_type: content_type.to_owned(),
        size_bytes: written.size as i64,
        stored_bytes: written.stored as i64,
        sha256: written.sha256,
        sealed: sealing.is_some(),
        key_id: sealing.as_ref().map(|(key, _)| key.id),
        key_fingerprint: sealing.as_ref().map(|(key, _)| key.fingerprint.clone()),
        started_at: metadata.started_at,
        duration_ms: duration_ms.and_then(|ms| i64::try_from(ms).ok()),
        direction,
        caller: metadata.caller,
        callee: metadata.callee,
        agent: metadata.agent,
        external_id: metadata.external_id,
        tags: serde_json::to_string(&tags).map_err(DomainError::internal)?,
        created_at: Utc::now(),
        created_by: uploader.id,
    };
    settle(db, lane, store, &location, row, uploader, pending).await
}

/// Enough of the start to recognise the audio, and to read a WAV header's duration; and
/// whether the body ended within it.
async fn read_head(
    body: &mut (impl Stream<Item = Result<Bytes, DomainError>> + Unpin),
) -> Result<(Vec<u8>, bool), DomainError> {
    let mut head = Vec::new();
    while head.len() < 4096 {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => return non_empty(head).map(|head| (head, true)),
        }
    }
    Ok((head, false))
}

fn non_empty(head: Vec<u8>) -> Result<Vec<u8>, DomainError> {
    if head.is_empty() {
        return Err(DomainError::Invalid("the upload is empty".into()));
    }
    Ok(head)
}

/// The audio's type from its first bytes, and its length: what the header says, where it
/// says it (WAV, FLAC); else what the uploader said, until the stream is measured.
fn recognise(
    head: &[u8],
    declared_ms: Option<u32>,
) -> Result<(&'static str, Option<u64>), DomainError> {
    let content_type =
        sniff::audio_type(&head[..head.len().min(sniff::NEEDED * 4)]).ok_or_else(|| {
            DomainError::NotAudio(
                "not a recognised audio file: WAV, MP3, Ogg/Opus, FLAC, M4A/AAC or WebM".into(),
            )
        })?;
    let duration_ms = match content_type {
        "audio/wav" => sniff::wav_duration_ms(head),
        "audio/flac" => sniff::flac_duration_ms(head),
        _ => None,
    }
    .or(declared_ms.map(u64::from));
    Ok((content_type, duration_ms))
}

/// What [`write_object`] stored.
pub struct Written {
    /// The audio's own size.
    pub size: u64,
    /// What the store holds (sealed: header and chunk tags included).
    pub stored: u64,
    /// SHA-256 of the audio, lowercase hex.
    pub sha256: String,
}

/// Streams `body` into a new object at `location`, sealed on the way when there is a
/// `sealer`. On any failure the multipart upload is aborted: nothing visible is left.
pub async fn write_object(
    store: &Store,
    location: &ObjectPath,
    sealer: Option<(Sealer<Native>, Vec<u8>)>,
    mut body: impl Stream<Item = Result<Bytes, DomainError>> + Unpin,
    max_bytes: u64,
) -> Result<Written, DomainError> {
    let (mut sealer, start) =
        sealer.map_or((None, Vec::new()), |(sealer, start)| (Some(sealer), start));
    let mut object = ObjectWriter::Buffered(PutPayloadMut::new());
    let mut written = Written {
        size: 0,
        stored: 0,
        sha256: String::new(),
    };
    let mut hasher = Sha256::new();
    let mut sealed_chunk = Vec::new();
    let outcome: Result<(), DomainError> = async {
        object.write(store, location, &start).await?;
        written.stored += start.len() as u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            written.size += chunk.len() as u64;
            if written.size > max_bytes {
                return Err(DomainError::TooLarge(format!(
                    "the recording is larger than the limit of {max_bytes} bytes"
                )));
            }
            hasher.update(&chunk);
            let out = match &mut sealer {
                Some(sealer) => {
                    sealed_chunk.clear();
                    sealer
                        .update(&chunk, &mut sealed_chunk)
                        .map_err(DomainError::internal)?;
                    &sealed_chunk[..]
                }
                None => &chunk[..],
            };
            object.write(store, location, out).await?;
            written.stored += out.len() as u64;
        }
        if let Some(sealer) = sealer.take() {
            sealed_chunk.clear();
            sealer
                .finish(&mut sealed_chunk)
                .map_err(DomainError::internal)?;
            object.write(store, location, &sealed_chunk).await?;
            written.stored += sealed_chunk.len() as u64;
        }
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        object.abort().await;
        return Err(error);
    }
    object.finish(store, location).await?;
    written.sha256 = hex::encode(hasher.finalize());
    Ok(written)
}

/// Where an upload's bytes go: kept in memory while they are few, then one `PUT`; once they
/// pass [`SINGLE_PUT_MAX`], a multipart upload. A call recording of a few minutes is one
/// request to a bucket rather than three (start, part, complete), which halves what a
/// bucket spends on the uploads of the load benchmark.
enum ObjectWriter {
    Buffered(PutPayloadMut),
    Multipart(WriteMultipart),
}

impl ObjectWriter {
    async fn write(
        &mut self,
        store: &Store,
        location: &ObjectPath,
        bytes: &[u8],
    ) -> Result<(), DomainError> {
        match self {
            Self::Buffered(buffer) if buffer.content_length() + bytes.len() <= SINGLE_PUT_MAX => {
                buffer.extend_from_slice(bytes);
            }
            Self::Buffered(buffer) => {
                let buffered = std::mem::take(buffer).freeze();
                let mut upload = WriteMultipart::new(
                    store.put_multipart(location).await.map_err(storage_error)?,
                );
                for part in &buffered {
                    upload.write(part);
                }
                upload.write(bytes);
                *self = Self::Multipart(upload);
            }
            Self::Multipart(upload) => {
                upload.write(bytes);
                upload
                    .wait_for_capacity(MAX_PARTS_IN_FLIGHT)
                    .await
                    .map_err(storage_error)?;
            }
        }
        Ok(())
    }

    async fn finish(self, store: &Store, location: &ObjectPath) -> Result<(), DomainError> {
        match self {
            Self::Buffered(buffer) => store
                .put(location, buffer.freeze())
                .await
                .map(drop)
                .map_err(storage_error),
            Self::Multipart(upload) => upload.finish().await.map(drop).map_err(storage_error),
        }
    }

    async fn abort(self) {
        if let Self::Multipart(upload) = self {
            let _ = upload.abort().await;
        }
    }
}

/// Commits `row` unless the idempotency key was answered before, and leaves the bytes at
/// `location` exactly when a row names them (or may: see below).
async fn settle(
    db: &DatabaseConnection,
    lane: &CommitLane,
    store: &Store,
    location: &ObjectPath,
    row: recording::Model,
    uploader: &Actor,
    pending: Option<Pending>,
) -> Result<Stored, DomainError> {
    let id = row.id;
    let earlier = match &pending {
        Some(pending) => idempotency::earlier(db, pending).await,
        None => Ok(None),
    };
    let failure = match earlier {
        Ok(None) => match commit(lane, row, uploader, pending.as_ref()).await {
            Ok(row) => {
                let size = u64::try_from(row.size_bytes).unwrap_or_default();
                crate::infra::metrics::ingested(row.sealed, row.tenant_id, size);
                return Ok(Stored::New(row));
            }
            Err(failure) => failure,
        },
        // A retry of a request that was stored: these bytes are a second copy nobody names.
        Ok(Some(earlier)) => {
            let _ = store.delete(location).await;
            return Ok(Stored::Replayed(earlier));
        }
        Err(error) => {
            let _ = store.delete(location).await;
            return Err(error.into());
        }
    };
    // The commit failed. Another request with the same key may have committed first (the
    // key's row refused this one), or this very commit may have landed before the error
    // reached us: then the bytes are named and must stay.
    let replay = match &pending {
        Some(pending) => idempotency::earlier(db, pending).await,
        None => Ok(None),
    };
    let certainly_rolled_back = matches!(failure, Failed::BeforeCommit(_));
    if certainly_rolled_back
        && !replay
            .as_ref()
            .is_ok_and(|earlier| answers_for(earlier, id))
    {
        let _ = store.delete(location).await;
    }
    match replay {
        Ok(Some(earlier)) => Ok(Stored::Replayed(earlier)),
        Err(reused @ idempotency::IdempotencyError::Reused) => Err(reused.into()),
        // Bytes of a commit that may or may not have landed are left to the sweeper, which
        // removes them a day later if no row names them.
        _ => Err(failure.into_error()),
    }
}

/// Whether `earlier` is the answer about recording `id`.
fn answers_for(earlier: &Option<Remembered>, id: Uuid) -> bool {
    earlier.as_ref().is_some_and(|earlier| {
        serde_json::from_str::<callvault_shared::api::Recording>(&earlier.response)
            .is_ok_and(|recording| recording.id == id)
    })
}

/// How a commit failed: before `COMMIT` was sent (rolled back for certain), or at it (the
/// database may have committed before the connection broke).
enum Failed {
    BeforeCommit(DomainError),
    AtCommit(DomainError),
}

/// The lane stopped with the transaction in an unknown state.
impl From<sea_orm::DbErr> for Failed {
    fn from(error: sea_orm::DbErr) -> Self {
        Failed::AtCommit(error.into())
    }
}

impl Failed {
    fn into_error(self) -> DomainError {
        match self {
            Failed::BeforeCommit(error) | Failed::AtCommit(error) => error,
        }
    }
}

/// The row, its audit record and the key's answer, in one transaction, on the commit lane
/// (the transaction holds the tenant's audit chain lock).
async fn commit(
    lane: &CommitLane,
    row: recording::Model,
    uploader: &Actor,
    pending: Option<&Pending>,
) -> Result<Box<recording::Model>, Failed> {
    let (db, uploader, pending) = (lane.db().clone(), uploader.clone(), pending.cloned());
    lane.run(async move {
        let before = |error: sea_orm::DbErr| Failed::BeforeCommit(error.into());
        let txn = crate::infra::database::begin_write(&db)
            .await
            .map_err(before)?;
        let row = row.into_active_model().insert(&txn).await.map_err(before)?;
        audit::record(
            &txn,
            AuditEntry::new(row.tenant_id, &uploader, ACTION)
                .object("recording", row.id)
                .details(serde_json::json!({ "size_bytes": row.size_bytes, "sealed": row.sealed })),
        )
        .await
        .map_err(before)?;
        if let Some(pending) = &pending {
            let response = serde_json::to_string(&super::to_api(row.clone()))
                .map_err(|error| Failed::BeforeCommit(DomainError::internal(error)))?;
            let answer = Remembered {
                status: 201,
                response,
            };
            idempotency::remember(&txn, pending, &answer)
                .await
                .map_err(before)?;
        }
        txn.commit()
            .await
            .map_err(|error| Failed::AtCommit(error.into()))?;
        Ok(Box::new(row))
    })
    .await
}

/// `body`, ended with a 408 when the client sends nothing for `idle`: a stalled upload must not
/// hold its connection, its half-written object and its multipart upload forever.
pub fn cut_off_when_idle<S>(
    body: S,
    idle: std::time::Duration,
) -> impl Stream<Item = Result<Bytes, DomainError>> + Unpin
where
    S: Stream<Item = Result<Bytes, DomainError>> + Unpin,
{
    Box::pin(futures_util::stream::unfold(
        Some(body),
        move |body| async move {
            let mut body = body?;
            match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(body))),
                Ok(None) => None,
                Err(_) => Some((
                    Err(DomainError::Stalled(format!(
                        "nothing arrived for {} s: the upload was cut off and nothing was kept",
                        idle.as_secs()
                    ))),
                    None,
                )),
            }
        },
    ))
}

pub fn payload_error(error: impl std::fmt::Display) -> DomainError {
    DomainError::Invalid(format!("the upload broke off: {error}"))
}

/// A store failure: a 503 when the store is down, else a 500 (see [`crate::infra::outage`]).
pub fn storage_error(error: object_store::Error) -> DomainError {
    anyhow::Error::from(error).into()
}
