//! Recordings: ingest (sealing on the way in), the catalogue, and playback (opening on the way
//! out). A recording's bytes are written under a fresh object name first; the row that names
//! them is written after, so a listed recording always has its bytes, and bytes no row names
//! are strays for the sweeper.

pub mod catalogue;
pub mod check;
pub mod ingest;
mod length;
pub mod metadata;
pub mod opened;
pub mod playback;
pub mod playback_log;
pub mod sniff;
pub mod sweeper;

use callvault_shared::api::Recording;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::domain::access_cache::{AccessCache, read_through};
use crate::domain::error::DomainError;
use crate::infra::entities::{recording, tenant};

/// A fresh object name for a recording's bytes (a new one each time they are rewritten).
pub fn object_key(tenant_id: Uuid, recording_id: Uuid) -> String {
    format!("recordings/{tenant_id}/{recording_id}/{}", Uuid::now_v7())
}

/// A recording of exactly this tenant; any other is missing.
pub async fn find_in_tenant(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<recording::Model, DomainError> {
    crate::domain::find_in_tenant::<recording::Entity>(db, tenant, id).await
}

/// The same, from what was read lately when `cache` holds it: for playback, where a player
/// asks for the same recording again and again.
pub async fn find_in_tenant_cached(
    db: &impl ConnectionTrait,
    cache: Option<&AccessCache>,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<recording::Model, DomainError> {
    let found = read_through(
        cache,
        |cache| &cache.recordings,
        (tenant.id, id),
        || async {
            match find_in_tenant(db, tenant, id).await {
                Ok(row) => Ok(Some(row)),
                Err(DomainError::NotFound(_)) => Ok(None),
                Err(other) => Err(other),
            }
        },
    )
    .await?;
    found.ok_or_else(|| DomainError::NotFound(format!("no recording {id} in this tenant")))
}

pub fn to_api(row: recording::Model) -> Recording {
    Recording {
        id: row.id,
        tenant_id: row.tenant_id,
        content_type: row.content_type,
        size_bytes: u64::try_from(row.size_bytes).unwrap_or_default(),
        sha256: row.sha256,
        sealed: row.sealed,
        key_fingerprint: row.key_fingerprint,
        key_id: row.key_id,
        started_at: row.started_at,
        duration_ms: row.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
        direction: row.direction,
        caller: row.caller,
        callee: row.callee,
        agent: row.agent,
        external_id: row.external_id,
        tags: serde_json::from_str(&row.tags).unwrap_or_default(),
        created_at: row.created_at,
    }
}
