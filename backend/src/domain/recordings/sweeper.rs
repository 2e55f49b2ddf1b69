//! Removes strays: recording bytes no catalogue row names, left by an upload or a rewrap that
//! died between writing its object and committing its row. Rows are committed after their
//! bytes, so a stray is recognisable once it is older than any such gap can be.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::infra::entities::recording;
use crate::infra::storage::Store;

/// Objects younger than this are left alone: their row may be about to commit. A day, because a
/// restore copies for as long as the archive takes and renames (keeping the copies' times) only
/// at its end.
pub const GRACE: chrono::Duration = chrono::Duration::hours(24);
/// How often the cluster sweeps. Every instance wakes this often, and the one that takes the
/// [`LEASE`] (which lasts as long) sweeps: one sweep per interval however many instances run.
pub const INTERVAL: Duration = Duration::from_secs(15 * 60);
pub const LEASE: &str = "sweeper";
const BATCH: usize = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub checked: u64,
    pub removed: u64,
}

/// Sweeps the store; `local_root` is the directory of a local store, whose interrupted
/// uploads leave staging files (`<name>#<n>`) that the store itself never lists.
pub async fn sweep(
    db: &DatabaseConnection,
    store: &Store,
    local_root: Option<&Path>,
    grace: chrono::Duration,
) -> anyhow::Result<SweepReport> {
    let cutoff = Utc::now() - grace;
    let mut report = SweepReport::default();
    // An archive import stages its copies here and renames them on success: what is left
    // here is always a stray.
    let mut staged = store.list(Some(&ObjectPath::from("imports")));
    while let Some(meta) = staged.next().await.transpose()? {
        report.checked += 1;
        if meta.last_modified < cutoff {
            store.delete(&meta.location).await?;
            report.removed += 1;
        }
    }
    if let Some(root) = local_root {
        report.removed += remove_staging_files(root, cutoff).await?;
    }
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
    // Answers to idempotency keys are kept a day; the store's strays and they share a cadence.
    crate::domain::idempotency::forget_expired(db).await?;
    // So do the login throttle's subjects that nobody has tried for a while.
    crate::domain::auth::throttle::forget_stale(db).await?;
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

/// Staging files of interrupted local uploads, older than `cutoff`.
async fn remove_staging_files(root: &Path, cutoff: chrono::DateTime<Utc>) -> anyhow::Result<u64> {
    let root = root.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        let mut directories = vec![root];
        while let Some(directory) = directories.pop() {
            let Ok(entries) = std::fs::read_dir(&directory) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    directories.push(path);
                    continue;
                }
                let staging = path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().contains('#'));
                let old = meta
                    .modified()
                    .is_ok_and(|modified| chrono::DateTime::<Utc>::from(modified) < cutoff);
                if staging && old && std::fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    })
    .await?
}

/// Sweeps every [`INTERVAL`] for as long as the server runs, when this instance holds the lease.
pub fn spawn(db: DatabaseConnection, store: Store, local_root: Option<PathBuf>) {
    let lease_length =
        chrono::Duration::from_std(INTERVAL).unwrap_or(chrono::Duration::minutes(15));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            match crate::domain::lease::take(&db, LEASE, lease_length).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!("another instance holds the sweeper's lease");
                    continue;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "the sweeper's lease could not be taken; the next tick retries");
                    continue;
                }
            }
            let swept = sweep(&db, &store, local_root.as_deref(), GRACE).await;
            crate::infra::metrics::swept(swept.as_ref().ok().map(|report| report.removed));
            if let Err(error) = swept {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "a sweep failed; the next one retries"
                );
            }
        }
    });
}
