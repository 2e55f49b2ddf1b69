//! The expiry job: deletes the recordings whose retention has run out, unless a hold covers
//! them. One recording at a time, each in its own transaction, so that a crash or an outage in
//! the middle of a batch loses nothing and the next run goes on from there:
//!
//! 1. the row goes and a tombstone is written (so that no restore brings it back);
//! 2. the object is deleted from the store (one already missing counts as deleted);
//! 3. the deletion certificate, a `recording.expired` audit record, is appended;
//! 4. all of it commits.
//!
//! A store that fails at step 2 rolls the transaction back: the recording stays, whole, for
//! the next run. A crash between 2 and 4 leaves a row without bytes, which the next run
//! deletes (its object is missing by then).

use std::time::Duration as StdDuration;

use callvault_shared::api::RetentionPolicy;
use chrono::{DateTime, Duration, Utc};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{holds, policy};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{recording, retention_policy};
use crate::infra::storage::Store;

/// How often the cluster looks for expired recordings; the instance that takes the lease does.
pub const INTERVAL: StdDuration = StdDuration::from_secs(10 * 60);
pub const LEASE: &str = "retention";
/// Most recordings one run deletes; the next run goes on.
pub const BATCH: usize = 1000;
/// Failures in a row after which a run stops: the store or the database is down, and each
/// further try would wait out the client's timeouts for nothing. The next run starts over.
pub const FAILURES_IN_A_ROW: u64 = 3;

/// One recording that expired (or, in a dry run, would).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub tenant_id: Uuid,
    pub recording_id: Uuid,
    pub sha256: String,
    pub size_bytes: i64,
    pub keep_days: u32,
    pub expired_at: DateTime<Utc>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub expired: Vec<Expired>,
    /// Expired, and kept because a hold covers them.
    pub held: u64,
    /// Expired, and not deleted this time (the store or the database failed): the next run
    /// tries again.
    pub failed: u64,
    /// The run stopped after [`FAILURES_IN_A_ROW`] failures, before it had looked at everything.
    pub stopped: bool,
}

/// Who the certificates name as having deleted.
fn actor() -> Actor {
    Actor {
        id: None,
        name: "retention policy".into(),
        origin: "server".into(),
    }
}

/// Deletes (or with `dry_run`, lists) up to `limit` recordings of every tenant whose retention
/// ran out by `now`.
pub async fn run(
    db: &DatabaseConnection,
    store: &Store,
    now: DateTime<Utc>,
    dry_run: bool,
    limit: usize,
) -> Result<Report, DomainError> {
    let mut report = Report::default();
    let mut failures_in_a_row = 0;
    for tenant_id in retention_policy::Entity::find()
        .select_only()
        .column(retention_policy::Column::TenantId)
        .into_tuple::<Uuid>()
        .all(db)
        .await?
    {
        let policies = policy::show(db, tenant_id, now).await?;
        let Some(shortest) = shortest_keep(&policies.in_force) else {
            continue;
        };
        let holds = holds::in_force(db, tenant_id).await?;
        // Nothing younger than the shortest keep can have expired: the database leaves those out.
        let old_enough = now - Duration::days(i64::from(shortest));
        let mut after: Option<Uuid> = None;
        loop {
            let mut page = recording::Entity::find()
                .filter(recording::Column::TenantId.eq(tenant_id))
                .filter(
                    Condition::any()
                        .add(recording::Column::StartedAt.lte(old_enough))
                        .add(
                            Condition::all()
                                .add(recording::Column::StartedAt.is_null())
                                .add(recording::Column::CreatedAt.lte(old_enough)),
                        ),
                )
                .order_by_asc(recording::Column::Id)
                .limit(500);
            if let Some(after) = after {
                page = page.filter(recording::Column::Id.gt(after));
            }
            let rows = page.all(db).await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = Some(last.id);
            for row in rows {
                if report.expired.len() >= limit {
                    return Ok(report);
                }
                let tags = super::tags_of(&row);
                let kept = super::retained(&row, &tags);
                let (Some(keep_days), Some(expired_at)) = (
                    policies.in_force.keep_days_for(&kept),
                    policies.in_force.expires_at(&kept),
                ) else {
                    continue;
                };
                if expired_at > now {
                    continue;
                }
                if !holds::covering(&holds, &row).is_empty() {
                    report.held += 1;
                    continue;
                }
                let expired = Expired {
                    tenant_id,
                    recording_id: row.id,
                    sha256: row.sha256.clone(),
                    size_bytes: row.size_bytes,
                    keep_days,
                    expired_at,
                };
                if dry_run {
                    report.expired.push(expired);
                    continue;
                }
                match expire(db, store, row, &expired, now).await {
                    Ok(deleted) => {
                        failures_in_a_row = 0;
                        if deleted {
                            report.expired.push(expired);
                        } else {
                            report.held += 1;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(
                            recording = %expired.recording_id,
                            error = %error,
                            "an expired recording could not be deleted; the next run tries again"
                        );
                        report.failed += 1;
                        failures_in_a_row += 1;
                        if failures_in_a_row >= FAILURES_IN_A_ROW {
                            report.stopped = true;
                            return Ok(report);
                        }
                    }
                }
            }
        }
    }
    Ok(report)
}

/// The shortest finite keep of `policy` (`None`: it keeps everything forever).
fn shortest_keep(policy: &RetentionPolicy) -> Option<u32> {
    policy
        .rules
        .iter()
        .map(|rule| rule.keep_days)
        .chain(std::iter::once(policy.keep_days))
        .flatten()
        .min()
}

/// Deletes one expired recording with its certificate; false when a hold placed meanwhile
/// covers it.
async fn expire(
    db: &DatabaseConnection,
    store: &Store,
    row: recording::Model,
    expired: &Expired,
    now: DateTime<Utc>,
) -> Result<bool, DomainError> {
    let txn = begin_write(db).await?;
    // Read again under the write lock: a hold or a deletion may have come since the scan.
    let Some(row) = recording::Entity::find_by_id(row.id).one(&txn).await? else {
        return Ok(true);
    };
    match holds::refuse_if_held(&txn, row.tenant_id, std::slice::from_ref(&row), "expire").await {
        Ok(()) => {}
        Err(DomainError::Conflict(_)) => return Ok(false),
        Err(error) => return Err(error),
    }
    recording::Entity::delete_by_id(row.id).exec(&txn).await?;
    super::tombstone(&txn, &row, "retention", now).await?;
    match store
        .delete(&ObjectPath::from(row.object_key.as_str()))
        .await
    {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(error) => return Err(DomainError::internal(error)),
    }
    let bytes = if row.sealed {
        "sealed with the tenant's key; the only copy of the sealed bytes is deleted from the \
         store, so nobody can recover them"
    } else {
        "stored in plaintext; the object holding them is deleted from the store"
    };
    audit::record(
        &txn,
        AuditEntry::new(row.tenant_id, &actor(), "recording.expired")
            .object("recording", row.id)
            .details(serde_json::json!({
                "sha256": row.sha256,
                "size_bytes": row.size_bytes,
                "sealed": row.sealed,
                "started_at": row.started_at,
                "uploaded_at": row.created_at,
                "keep_days": expired.keep_days,
                "expired_at": expired.expired_at,
                "deleted_at": now,
                "bytes": bytes,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Runs the job every [`INTERVAL`] for as long as the server runs, when this instance holds
/// the lease.
pub fn spawn(db: DatabaseConnection, store: Store) {
    let lease_length = Duration::from_std(INTERVAL).unwrap_or(Duration::minutes(10));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        loop {
            ticks.tick().await;
            match crate::domain::lease::take(&db, LEASE, lease_length).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(error = %error, "the retention job's lease could not be taken; the next tick retries");
                    continue;
                }
            }
            match run(&db, &store, Utc::now(), false, BATCH).await {
                Ok(report) if !report.expired.is_empty() || report.failed > 0 => {
                    tracing::info!(
                        expired = report.expired.len(),
                        held = report.held,
                        failed = report.failed,
                        stopped = report.stopped,
                        "the retention job deleted expired recordings"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "a retention run failed; the next one retries"
                ),
            }
        }
    });
}
