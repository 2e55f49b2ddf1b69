//! Background jobs in the database, run by whichever instance holds an unexpired lease.
//!
//! A rewrap needs the private halves of the old keys, which exist on the server only inside
//! grants that a holder's session opens. So the holder who starts (or resumes) a rewrap lends
//! the opened keys to this instance's memory for the job's length, and nothing else keeps them.
//! If the instance dies, the job stays in the database with its progress; the next
//! `POST …/rewrap` by a holder, on any instance, resumes it where it stopped.

pub mod rewrap;
pub mod seal_plaintext;

use callvault_shared::api::Job;
use callvault_shared::api::{JobKind, JobState};
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use crate::domain::error::DomainError;
use crate::infra::entities::job;

/// The database and the object store a job works on (cheap handles, cloned).
#[derive(Clone)]
pub struct Handles {
    pub db: sea_orm::DatabaseConnection,
    pub store: crate::infra::storage::Store,
}

/// A lease this long is renewed after every item; an instance that stops renewing loses it.
pub const LEASE: Duration = Duration::seconds(30);

/// Jobs running in this instance right now, so that a second request does not start a second
/// worker on the same job.
static RUNNING_HERE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<Uuid>>> =
    std::sync::LazyLock::new(Default::default);

/// Marks `job_id` as running here; false if it already is.
pub fn start_here(job_id: Uuid) -> bool {
    RUNNING_HERE
        .lock()
        .map(|mut running| running.insert(job_id))
        .unwrap_or(false)
}

pub fn stopped_here(job_id: Uuid) {
    if let Ok(mut running) = RUNNING_HERE.lock() {
        running.remove(&job_id);
    }
}

/// Takes the job's lease for this instance if nobody else holds a live one.
pub async fn claim(db: &impl ConnectionTrait, job_id: Uuid) -> Result<bool, sea_orm::DbErr> {
    let now = Utc::now();
    let claimed = job::Entity::update_many()
        .col_expr(
            job::Column::LeaseOwner,
            Expr::value(crate::domain::lease::instance_id()),
        )
        .col_expr(job::Column::LeaseExpiresAt, Expr::value(now + LEASE))
        .col_expr(job::Column::State, Expr::value(JobState::Running))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
        .filter(
            job::Column::LeaseOwner
                .is_null()
                .or(job::Column::LeaseOwner.eq(crate::domain::lease::instance_id()))
                .or(job::Column::LeaseExpiresAt.lt(now)),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(claimed == 1)
}

/// The answer for a job that does not exist, or that the caller may not see.
pub fn not_found(id: Uuid) -> DomainError {
    DomainError::NotFound(format!("no job {id}"))
}

/// A job's progress. Whether the caller may see its tenant (`Job::tenant_id`) is theirs to
/// judge: a job they may not see is [`not_found`] too.
pub async fn show(db: &impl ConnectionTrait, id: Uuid) -> Result<Job, DomainError> {
    job::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| to_api(&row))
        .ok_or_else(|| not_found(id))
}

pub fn to_api(job: &job::Model) -> Job {
    Job {
        id: job.id,
        tenant_id: job.tenant_id,
        kind: job.kind,
        state: job.state,
        done: u64::try_from(job.done).unwrap_or_default(),
        total: u64::try_from(job.total).unwrap_or_default(),
        failed: u64::try_from(job.failed).unwrap_or_default(),
        error: job.error.clone(),
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}

/// Counts one more item `column` (done or failed) and renews the lease; false when the lease
/// went to another instance, which carries on from there.
pub async fn count_and_renew(db: &impl ConnectionTrait, job_id: Uuid, column: job::Column) -> bool {
    let now = Utc::now();
    let renewed = job::Entity::update_many()
        .col_expr(column, Expr::col(column).add(1))
        .col_expr(job::Column::LeaseExpiresAt, Expr::value(now + LEASE))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::LeaseOwner.eq(crate::domain::lease::instance_id()))
        .exec(db)
        .await;
    matches!(renewed, Ok(result) if result.rows_affected == 1)
}

/// Ends the job, done or (with `error`) failed, and lets its lease go.
pub async fn finish(db: &impl ConnectionTrait, job_id: Uuid, error: Option<String>) {
    let result = job::Entity::update_many()
        .col_expr(
            job::Column::State,
            Expr::value(if error.is_some() {
                JobState::Failed
            } else {
                JobState::Done
            }),
        )
        .col_expr(job::Column::Error, Expr::value(error))
        .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::LeaseOwner.eq(crate::domain::lease::instance_id()))
        .exec(db)
        .await;
    if let Err(error) = result {
        tracing::error!(job = %job_id, error = %error, "could not record the end of a job");
    }
}

/// The tenant's unfinished job of `kind` with `total` more items to do, or a new one.
pub async fn queue(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    kind: JobKind,
    total: u64,
    created_by: Option<Uuid>,
) -> Result<job::Model, DomainError> {
    let existing = job::Entity::find()
        .filter(job::Column::TenantId.eq(tenant_id))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
        .one(txn)
        .await?;
    let now = Utc::now();
    let row = match existing {
        Some(row) => {
            let done = row.done;
            let mut active = row.into_active_model();
            // What is left now, plus what was done before.
            active.total = sea_orm::ActiveValue::Set(done + total as i64);
            active.update(txn).await?
        }
        None => {
            job::Model {
                id: Uuid::now_v7(),
                tenant_id,
                kind,
                state: JobState::Queued,
                done: 0,
                total: total as i64,
                failed: 0,
                lease_owner: None,
                lease_expires_at: None,
                error: None,
                created_by,
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(txn)
            .await?
        }
    };
    Ok(row)
}

/// Jobs of one kind in one state, with their items, for the metrics.
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct Census {
    pub kind: JobKind,
    pub state: JobState,
    pub jobs: i64,
    pub done: Option<i64>,
    pub failed: Option<i64>,
    pub total: Option<i64>,
}

/// Every instance's jobs, counted by kind and state in one query.
pub async fn census(db: &impl ConnectionTrait) -> Result<Vec<Census>, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Alias, Func, SimpleExpr};
    // PostgreSQL sums BIGINTs as NUMERIC: cast back, so that both databases answer integers.
    let sum = |column: job::Column| -> SimpleExpr {
        Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
    };
    job::Entity::find()
        .select_only()
        .column(job::Column::Kind)
        .column(job::Column::State)
        .column_as(job::Column::Id.count(), "jobs")
        .column_as(sum(job::Column::Done), "done")
        .column_as(sum(job::Column::Failed), "failed")
        .column_as(sum(job::Column::Total), "total")
        .group_by(job::Column::Kind)
        .group_by(job::Column::State)
        .into_model::<Census>()
        .all(db)
        .await
}
