//! The store checked against the catalogue: every recording whose bytes are missing, or fewer
//! than its row says. A power cut before the local store synced its files, a lost disk or a
//! bucket emptied by hand all show here, rather than only when somebody plays the call.

use futures_util::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use uuid::Uuid;

use crate::infra::entities::recording;
use crate::infra::storage::Store;

/// Rows fetched at a time, and objects looked up at once.
const PAGE: u64 = 500;
const LOOKUPS_IN_FLIGHT: usize = 16;

/// A recording whose stored bytes are not what its row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub recording_id: Uuid,
    pub tenant_id: Uuid,
    pub object_key: String,
    /// What the catalogue says the store holds.
    pub expected_bytes: u64,
    /// What the store holds; `None` when the object is missing.
    pub found_bytes: Option<u64>,
}

/// How many recordings were looked at, and which of them are damaged.
#[derive(Debug, Default)]
pub struct Report {
    pub checked: u64,
    pub damaged: Vec<Damage>,
}

/// Looks up every recording's object. A store that does not answer is an error, never a
/// finding: only an object the store says is missing or short is reported.
pub async fn check(db: &DatabaseConnection, store: &Store) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut pages = recording::Entity::find()
        .order_by_asc(recording::Column::Id)
        .paginate(db, PAGE);
    while let Some(rows) = pages.fetch_and_next().await? {
        report.checked += rows.len() as u64;
        let found: Vec<Option<Damage>> = stream::iter(rows)
            .map(|row| examine(db, store, row))
            .buffered(LOOKUPS_IN_FLIGHT)
            .try_collect()
            .await?;
        report.damaged.extend(found.into_iter().flatten());
    }
    Ok(report)
}

async fn examine(
    db: &DatabaseConnection,
    store: &Store,
    row: recording::Model,
) -> anyhow::Result<Option<Damage>> {
    let expected_bytes = u64::try_from(row.stored_bytes).unwrap_or_default();
    let found_bytes = match store.head(&ObjectPath::from(row.object_key.as_str())).await {
        Ok(meta) if meta.size >= expected_bytes => return Ok(None),
        Ok(meta) => Some(meta.size),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    // A recording deleted while the check ran loses its object and its row; only one whose
    // row is still there is damaged.
    if recording::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    Ok(Some(Damage {
        recording_id: row.id,
        tenant_id: row.tenant_id,
        object_key: row.object_key,
        expected_bytes,
        found_bytes,
    }))
}
