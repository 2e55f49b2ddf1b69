//! Removes strays: recording bytes no catalogue row names, left by an upload or a rewrap that
//! died between writing its object and committing its row. Rows are committed after their
//! bytes, so a stray is recognisable once it is older than any such gap can be.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::recording;
use crate::storage::Store;

/// Objects younger than this are left alone: their row may be about to commit.
pub const GRACE: chrono::Duration = chrono::Duration::hours(1);
/// How often each instance sweeps. Sweeps are idempotent; instances need not coordinate.
pub const INTERVAL: Duration = Duration::from_secs(15 * 60);
const BATCH: usize = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: u64,
    pub removed: u64,
}

pub async fn sweep(
    db: &DatabaseConnection,
    store: &Store,
    grace: chrono::Duration,
) -> anyhow::Result<SweepReport> {
    let cutoff = Utc::now() - grace;
    let mut report = SweepReport::default();
    let prefix = ObjectPath::from("recordings");
    let mut listing = store.list(Some(&prefix));
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(meta) = listing.next().await.transpose()? {
        report.checked += 1;
        if meta.last_modified < cutoff {
            batch.push(meta.location);
        }
        if batch.len() >= BATCH {
            report.removed += remove_unnamed(db, store, std::mem::take(&mut batch)).await?;
        }
    }
    report.removed += remove_unnamed(db, store, batch).await?;
    if report.removed > 0 {
        tracing::info!(
            removed = report.removed,
            "the sweeper removed stray recording bytes"
        );
    }
    Ok(report)
}

async fn remove_unnamed(
    db: &DatabaseConnection,
    store: &Store,
    candidates: Vec<ObjectPath>,
) -> anyhow::Result<u64> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    let named: HashSet<String> = recording::Entity::find()
        .select_only()
        .column(recording::Column::ObjectKey)
        .filter(recording::Column::ObjectKey.is_in(keys))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut removed = 0;
    for location in candidates {
        if !named.contains(location.as_ref()) {
            store.delete(&location).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Sweeps every [`INTERVAL`] for as long as the server runs.
pub fn spawn(db: DatabaseConnection, store: Store) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            if let Err(error) = sweep(&db, &store, GRACE).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "a sweep failed; the next one retries"
                );
            }
        }
    });
}
