//! Background jobs in the database, run by whichever instance holds an unexpired lease.
//!
//! A rewrap needs the private halves of the old keys, which exist on the server only inside
//! grants that a holder's session opens. So the holder who starts (or resumes) a rewrap lends
//! the opened keys to this instance's memory for the job's length, and nothing else keeps them.
//! If the instance dies, the job stays in the database with its progress; the next
//! `POST …/rewrap` by a holder, on any instance, resumes it where it stopped.

pub mod rewrap;

use callvault_shared::api::Job;
use callvault_shared::api::JobState;
use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::error::DomainError;
use crate::infra::entities::job;

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
        kind: job.kind.clone(),
        state: job.state.as_str().to_owned(),
        done: u64::try_from(job.done).unwrap_or_default(),
        total: u64::try_from(job.total).unwrap_or_default(),
        failed: u64::try_from(job.failed).unwrap_or_default(),
        error: job.error.clone(),
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}
