//! Retention and legal hold: recordings are kept exactly as long as their tenant's policy says,
//! unless a hold covers them, and provably gone afterwards.
//!
//! - [`policy`]: a tenant's policy. A shortened one waits out the tenant's grace period first,
//!   so that a mistaken change can be undone before anything is deleted.
//! - [`holds`]: legal holds, by id or saved search. Held recordings are never deleted, whether
//!   by retention, by a person, or by destroying their key.
//! - [`expiry`]: the job that deletes what expired, in batches, under the cluster's lease. Each
//!   deletion commits with its certificate, a hash-chained audit record.
//!
//! Every function takes `now`, so that tests move the clock instead of sleeping.

pub mod expiry;
pub mod holds;
pub mod policy;

use callvault_shared::api::{Retained, Searched};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, IntoActiveModel};

use crate::infra::entities::{deleted_recording, recording};

/// Remembers that `row` was deleted (`cause`: `retention`, or `deleted` by a person), in the
/// transaction that deletes it, so that no restore brings it back.
pub async fn tombstone(
    db: &impl ConnectionTrait,
    row: &recording::Model,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::OnConflict;
    // An id deleted before (a recording restored, then deleted again) keeps its first stone.
    deleted_recording::Entity::insert(
        deleted_recording::Model {
            id: row.id,
            tenant_id: row.tenant_id,
            sha256: row.sha256.clone(),
            cause: cause.to_owned(),
            deleted_at: now,
        }
        .into_active_model(),
    )
    .on_conflict(
        OnConflict::column(deleted_recording::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(drop)
}

/// A recording's tags, read from its JSON column (an unreadable column counts as none).
pub fn tags_of(row: &recording::Model) -> Vec<String> {
    serde_json::from_str(&row.tags).unwrap_or_default()
}

/// What a policy looks at in `row`: its tags, its direction, and when the call started (or,
/// when the recorder did not say, when it was uploaded).
pub fn retained<'a>(row: &recording::Model, tags: &'a [String]) -> Retained<'a> {
    Retained {
        tags,
        direction: row.direction,
        since: row.started_at.unwrap_or(row.created_at),
    }
}

/// What a hold's search looks at in `row`.
pub fn searched<'a>(row: &'a recording::Model, tags: &'a [String]) -> Searched<'a> {
    Searched {
        id: row.id,
        caller: row.caller.as_deref(),
        callee: row.callee.as_deref(),
        agent: row.agent.as_deref(),
        tags,
        started_at: row.started_at,
    }
}
