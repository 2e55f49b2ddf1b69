//! Playback: the audio decrypted in flight, as a stream of pieces, for a byte range so that a
//! player can seek. Only the chunks that cover the range are fetched and opened.

use std::ops::Range;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use callvault_shared::api::KeyState;
use callvault_shared::chunked::{CHUNK_SIZE, RandomAccess};
use callvault_shared::crypto::Native;
use callvault_shared::sealed::{self, SealedHeader, open_payload};
use futures_util::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::ingest::storage_error;
use super::opened::OpenedRecordings;
use crate::domain::access_cache::{AccessCache, read_through};
use crate::domain::encryption_keys::grants::{self, Holder};
use crate::domain::error::DomainError;
use crate::infra::entities::{encryption_key, recording};
use crate::infra::storage::RangeReads;

/// Chunks fetched from the store per request to it: 256 KiB of audio.
const CHUNKS_PER_FETCH: u64 = 16;
/// The same for recordings stored unsealed.
const PLAIN_BYTES_PER_FETCH: u64 = CHUNKS_PER_FETCH * CHUNK_SIZE as u64;
/// Pieces read (and opened) ahead of the one being sent. An answer holds at most this many
/// pieces and the one being written, about a megabyte.
const PIECES_AHEAD: usize = 2;

/// The bytes `range` (all when `None`) of `row`'s audio, opened through `holder`'s grant on its
/// key when it is sealed. The first piece is fetched before this returns, so that a store that
/// does not answer is an error here rather than a stream that breaks off.
pub async fn play(
    db: &DatabaseConnection,
    cache: Option<&AccessCache>,
    reads: &RangeReads,
    opened: &OpenedRecordings,
    holder: &Holder<'_>,
    row: &recording::Model,
    range: Option<Range<u64>>,
) -> Result<Pieces, DomainError> {
    let location = ObjectPath::from(row.object_key.as_str());
    let total = u64::try_from(row.size_bytes).unwrap_or_default();
    let wanted = range.unwrap_or(0..total);

    if row.sealed {
        let access = open(db, cache, reads, opened, holder, row, &location).await?;
        if access.plaintext_len() != total {
            return Err(damaged(
                row,
                "its sealed length disagrees with the catalogue",
            ));
        }
        sealed_pieces(
            reads.clone(),
            access,
            Arc::new(row.clone()),
            location,
            wanted,
        )
        .await
    } else {
        plain_pieces(reads.clone(), Arc::new(row.clone()), location, wanted).await
    }
}

/// [`play`], for a row that may have been kept from a moment ago: when its bytes are gone
/// because a rewrap replaced them meanwhile, it plays the row as it is now.
pub async fn play_latest(
    db: &DatabaseConnection,
    cache: Option<&AccessCache>,
    reads: &RangeReads,
    opened: &OpenedRecordings,
    holder: &Holder<'_>,
    row: &recording::Model,
    range: Option<Range<u64>>,
) -> Result<Pieces, DomainError> {
    let played = play(db, cache, reads, opened, holder, row, range.clone()).await;
    let (Err(DomainError::Damaged(_)), Some(cache)) = (&played, cache) else {
        return played;
    };
    cache.recordings.forget(&(row.tenant_id, row.id));
    let now = recording::Entity::find_by_id(row.id)
        .filter(recording::Column::TenantId.eq(row.tenant_id))
        .one(db)
        .await?;
    match now {
        Some(now) if now.object_key != row.object_key => {
            play(db, None, reads, opened, holder, &now, range).await
        }
        _ => played,
    }
}

/// The audio as it is served, piece by piece; the first piece is already fetched.
pub type Pieces = stream::BoxStream<'static, Result<Bytes, DomainError>>;

/// The plain bytes `wanted` of a sealed recording: the chunks that cover them, fetched
/// [`CHUNKS_PER_FETCH`] at a time and opened.
async fn sealed_pieces(
    reads: RangeReads,
    access: Arc<RandomAccess<Native>>,
    row: Arc<recording::Model>,
    location: ObjectPath,
    wanted: Range<u64>,
) -> Result<Pieces, DomainError> {
    if wanted.is_empty() {
        return Ok(Box::pin(stream::empty()));
    }
    let chunks = access.chunks_covering(&wanted);
    let starts = (chunks.start..chunks.end).step_by(CHUNKS_PER_FETCH as usize);
    pieces(starts, move |next| {
        let (reads, access, location, wanted, row) = (
            reads.clone(),
            access.clone(),
            location.clone(),
            wanted.clone(),
            row.clone(),
        );
        async move {
            let last = (next + CHUNKS_PER_FETCH).min(chunks.end);
            let span = access.chunk_location(next).start..access.chunk_location(last - 1).end;
            let (start, opened_row) = (span.start, row.clone());
            // Opened where they were read, off the executor when they are many.
            read_range_then(&reads, &row, &location, span, move |bytes| {
                open_piece(&access, &opened_row, bytes, start, next..last, &wanted)
            })
            .await?
        }
    })
    .await
}

/// The chunks `chunks` of a sealed recording, read from `span_start` of its object into
/// `bytes`, opened where they were read: the wanted part of each, as a slice of that one
/// buffer, neither copied nor moved.
fn open_piece(
    access: &RandomAccess<Native>,
    row: &recording::Model,
    bytes: Bytes,
    span_start: u64,
    chunks: Range<u64>,
    wanted: &Range<u64>,
) -> Result<Vec<Bytes>, DomainError> {
    let mut buffer = bytes
        .try_into_mut()
        .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
    let mut parts = Vec::with_capacity(chunks.end.saturating_sub(chunks.start) as usize);
    for index in chunks {
        let at = access.chunk_location(index);
        let from = (at.start - span_start) as usize;
        let ciphertext = buffer
            .get_mut(from..(at.end - span_start) as usize)
            .ok_or_else(|| damaged(row, "it is shorter than the catalogue says"))?;
        let opened = access
            .open_chunk_in_place(index, ciphertext)
            .map_err(|_| damaged(row, &format!("its chunk {index} does not open")))?;
        let wanted_here = access.wanted_in_chunk(index, opened, wanted);
        parts.push(from + wanted_here.start..from + wanted_here.end);
    }
    let opened = buffer.freeze();
    Ok(parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .map(|part| opened.slice(part))
        .collect())
}

/// The bytes `wanted` of a recording stored in plaintext, [`PLAIN_BYTES_PER_FETCH`] at a time.
async fn plain_pieces(
    reads: RangeReads,
    row: Arc<recording::Model>,
    location: ObjectPath,
    wanted: Range<u64>,
) -> Result<Pieces, DomainError> {
    let end = wanted.end;
    let starts = wanted.step_by(PLAIN_BYTES_PER_FETCH as usize);
    pieces(starts, move |next| {
        let (reads, location, row) = (reads.clone(), location.clone(), row.clone());
        async move {
            let until = (next + PLAIN_BYTES_PER_FETCH).min(end);
            let bytes = read_range(&reads, &row, &location, next..until).await?;
            if bytes.len() as u64 != until - next {
                return Err(damaged(&row, "it is shorter than the catalogue says"));
            }
            Ok(vec![bytes])
        }
    })
    .await
}

/// The body as the stream of the pieces that `fetch` makes, one from each of `starts`, each
/// piece one or more slices of the bytes it read. The first is fetched before the status line
/// is sent: a store that does not answer then gets a 503, not a 200 that breaks off. The
/// later ones run as tasks of their own, [`PIECES_AHEAD`] at most, so that the next piece is
/// read and opened while this one is being sent, and a long recording never sits in memory.
async fn pieces<F, Fut>(
    mut starts: impl Iterator<Item = u64> + Send + 'static,
    mut fetch: F,
) -> Result<Pieces, DomainError>
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<Bytes>, DomainError>> + Send + 'static,
{
    let Some(start) = starts.next() else {
        return Ok(Box::pin(stream::empty()));
    };
    let first = fetch(start).await?;
    let rest = stream::iter(starts)
        .map(move |start| {
            let piece = tokio::spawn(fetch(start));
            async move { piece.await? }
        })
        .buffered(PIECES_AHEAD)
        .map_ok(|parts| stream::iter(parts.into_iter().map(Ok)))
        .try_flatten();
    Ok(Box::pin(
        stream::iter(first.into_iter().map(Ok)).chain(rest),
    ))
}

/// `range` of the recording's object. A failure is told apart: an object that is missing or
/// shorter than the catalogue says is a damaged recording, which no retry mends; anything
/// else is the store's (a 503 while it is away).
async fn read_range(
    reads: &RangeReads,
    row: &recording::Model,
    location: &ObjectPath,
    range: Range<u64>,
) -> Result<Bytes, DomainError> {
    read_range_then(reads, row, location, range, |bytes| bytes).await
}

/// [`read_range`], whose bytes `then` works on off the executor.
async fn read_range_then<T: Send + 'static>(
    reads: &RangeReads,
    row: &recording::Model,
    location: &ObjectPath,
    range: Range<u64>,
    then: impl FnOnce(Bytes) -> T + Send + 'static,
) -> Result<T, DomainError> {
    let stored = u64::try_from(row.stored_bytes).unwrap_or_default();
    match reads.read_then(location, range, stored, then).await {
        Ok(done) => Ok(done),
        Err(error) => Err(match reads.store().head(location).await {
            Err(object_store::Error::NotFound { .. }) => {
                damaged(row, "its stored bytes are missing")
            }
            Ok(meta) if meta.size < stored => damaged(
                row,
                &format!(
                    "the store holds {} of its {} bytes",
                    meta.size, row.stored_bytes
                ),
            ),
            _ => storage_error(error),
        }),
    }
}

/// The answer for a recording whose bytes cannot be served as the catalogue describes them.
pub fn damaged(row: &recording::Model, what: &str) -> DomainError {
    DomainError::Damaged(format!(
        "recording {} is damaged: {what}; `callvault check` lists every such recording, and a backup restores it",
        row.id
    ))
}

/// The header of a sealed recording opened through the principal's grant on its key, or the
/// same opened lately ([`crate::domain::recordings::opened`]).
async fn open(
    db: &DatabaseConnection,
    cache: Option<&AccessCache>,
    reads: &RangeReads,
    opened: &OpenedRecordings,
    holder: &Holder<'_>,
    row: &recording::Model,
    location: &ObjectPath,
) -> Result<Arc<RandomAccess<Native>>, DomainError> {
    let by_tenant =
        encryption_key::Entity::find().filter(encryption_key::Column::TenantId.eq(row.tenant_id));
    let key = match (row.key_id, &row.key_fingerprint) {
        (Some(id), _) => {
            read_through(cache, |cache| &cache.keys, (row.tenant_id, id), || {
                by_tenant.filter(encryption_key::Column::Id.eq(id)).one(db)
            })
            .await?
        }
        (None, Some(fingerprint)) => {
            by_tenant
                .filter(encryption_key::Column::Fingerprint.eq(fingerprint.as_str()))
                .one(db)
                .await?
        }
        (None, None) => None,
    }
    .ok_or_else(|| {
        DomainError::Conflict(format!(
            "this recording is sealed with the key {}, which is not in this tenant: import that key and have it granted",
            row.key_fingerprint.as_deref().map_or("?", |f| &f[..16.min(f.len())])
        ))
    })?;
    if key.state == KeyState::Destroyed {
        return Err(DomainError::Gone(
            "this recording is unrecoverable here: the key it is sealed with was destroyed".into(),
        ));
    }
    if key.origin == callvault_shared::api::KeyOrigin::PublicOnly {
        return Err(DomainError::Refused(
            "this recording is sealed with a tenant-held key: the server cannot open it; play it with the tenant's key file in the browser, or in the tenant's own instance".into(),
        ));
    }
    let grant = grants::held_by_cached(db, cache, holder.user_id, &key).await?;
    let opened_by = (holder.user_id, key.id, row.object_key.clone());
    if let Some(access) = opened.get(&opened_by) {
        return Ok(access);
    }
    let private = grants::open(grant, holder, &key).await?;
    let stored = u64::try_from(row.stored_bytes).unwrap_or_default();
    let head = read_range(
        reads,
        row,
        location,
        0..stored.min(sealed::MAX_HEADER_LEN as u64),
    )
    .await?;
    let damaged_row = row.clone();
    let access = tokio::task::spawn_blocking(move || {
        let corrupt = || damaged(&damaged_row, "its sealed header does not open");
        let (parsed, chunk_header) =
            SealedHeader::parse_with_payload_header(&head).map_err(|_| corrupt())?;
        let opened = open_payload(parsed, &chunk_header, &private).map_err(|_| corrupt())?;
        RandomAccess::new(opened.keys, opened.payload_offset, stored).map_err(|_| corrupt())
    })
    .await??;
    let access = Arc::new(access);
    opened.keep(opened_by, access.clone());
    Ok(access)
}
