//! A tenant's retention policy: what it is now, what a shortening will make it and from when.

use callvault_shared::api::{
    DEFAULT_GRACE_DAYS, LONGEST_GRACE_DAYS, RetentionPolicy, RetentionPreview,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
};
use uuid::Uuid;

use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{recording, retention_policy, tenant};

/// A tenant's policies as they stand at some moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// What applies now.
    pub in_force: RetentionPolicy,
    /// A shortened policy and when it begins to apply.
    pub pending: Option<(RetentionPolicy, DateTime<Utc>)>,
    pub grace_days: u32,
}

impl Policies {
    fn forever() -> Self {
        Self {
            in_force: RetentionPolicy::forever(),
            pending: None,
            grace_days: DEFAULT_GRACE_DAYS,
        }
    }

    /// The stored row as it stands at `now`: a pending policy whose time has come is in force.
    fn of(row: &retention_policy::Model, now: DateTime<Utc>) -> Result<Self, DomainError> {
        let read = |json: &str| {
            serde_json::from_str::<RetentionPolicy>(json).map_err(DomainError::internal)
        };
        let in_force = read(&row.policy)?;
        let pending = match (&row.pending_policy, row.pending_from) {
            (Some(policy), Some(from)) => Some((read(policy)?, from)),
            _ => None,
        };
        let grace_days = u32::try_from(row.grace_days).unwrap_or(DEFAULT_GRACE_DAYS);
        Ok(match pending {
            Some((policy, from)) if from <= now => Self {
                in_force: policy,
                pending: None,
                grace_days,
            },
            pending => Self {
                in_force,
                pending,
                grace_days,
            },
        })
    }
}

/// The tenant's policies at `now`.
pub async fn show(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Policies, DomainError> {
    match retention_policy::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
    {
        Some(row) => Policies::of(&row, now),
        None => Ok(Policies::forever()),
    }
}

/// Sets the tenant's policy (and, if given, its grace period). A policy that keeps nothing
/// for less time than the one in force applies at once; one that shortens some recording's
/// life waits `grace_days` first. Audited in the same transaction.
pub async fn set(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    wanted: RetentionPolicy,
    grace_days: Option<u32>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Policies, DomainError> {
    check(&wanted, grace_days)?;
    // What the databases keep (microseconds), so that the answer is what a read gives back.
    let now = now.trunc_subsecs(6);
    let txn = begin_write(db).await?;
    let before = show(&txn, tenant.id, now).await?;
    let grace_days = grace_days.unwrap_or(before.grace_days);
    let after = if wanted.shortens(&before.in_force) {
        let from = now + Duration::days(i64::from(grace_days));
        Policies {
            in_force: before.in_force.clone(),
            pending: Some((wanted.clone(), from)),
            grace_days,
        }
    } else {
        Policies {
            in_force: wanted.clone(),
            pending: None,
            grace_days,
        }
    };
    let json =
        |policy: &RetentionPolicy| serde_json::to_string(policy).map_err(DomainError::internal);
    let row = retention_policy::ActiveModel {
        tenant_id: Set(tenant.id),
        policy: Set(json(&after.in_force)?),
        pending_policy: Set(after.pending.as_ref().map(|(p, _)| json(p)).transpose()?),
        pending_from: Set(after.pending.as_ref().map(|(_, from)| *from)),
        grace_days: Set(i32::try_from(grace_days).unwrap_or(i32::MAX)),
        updated_at: Set(now),
        updated_by: Set(actor.name.clone()),
    };
    if retention_policy::Entity::find_by_id(tenant.id)
        .one(&txn)
        .await?
        .is_some()
    {
        row.update(&txn).await?;
    } else {
        row.insert(&txn).await?;
    }
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "retention.policy").details(serde_json::json!({
            "from": before.in_force,
            "to": wanted,
            "takes_effect": after.pending.as_ref().map_or(now, |(_, from)| *from),
            "grace_days": grace_days,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// What saving `wanted` (with `grace_days`, else the tenant's) would delete, and from when.
pub async fn preview_change(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    wanted: &RetentionPolicy,
    grace_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<RetentionPreview, DomainError> {
    check(wanted, grace_days)?;
    let now = now.trunc_subsecs(6);
    let before = show(db, tenant_id, now).await?;
    let grace = grace_days.unwrap_or(before.grace_days);
    let applies_from = if wanted.shortens(&before.in_force) {
        now + Duration::days(i64::from(grace))
    } else {
        now
    };
    let recordings = preview(db, tenant_id, wanted, now, applies_from).await?;
    Ok(RetentionPreview {
        recordings,
        applies_from,
    })
}

fn check(wanted: &RetentionPolicy, grace_days: Option<u32>) -> Result<(), DomainError> {
    if let Some(problem) = wanted.problem() {
        return Err(DomainError::Invalid(problem));
    }
    if grace_days.is_some_and(|days| days > LONGEST_GRACE_DAYS) {
        return Err(DomainError::Invalid(format!(
            "grace_days must be 0 to {LONGEST_GRACE_DAYS}"
        )));
    }
    Ok(())
}

/// How many of the tenant's recordings `policy` would have deleted by `at` (when it would
/// apply) that the policy in force at `now` keeps until then, holds aside: what a person
/// should know before saving it.
pub async fn preview(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<u64, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let current = show(db, tenant_id, now).await?.in_force;
    let holds = super::holds::in_force(db, tenant_id).await?;
    let mut affected = 0;
    let mut after = None;
    loop {
        let mut page = recording::Entity::find()
            .filter(recording::Column::TenantId.eq(tenant_id))
            .order_by_asc(recording::Column::Id)
            .limit(1000);
        if let Some(after) = after {
            page = page.filter(recording::Column::Id.gt(after));
        }
        let rows = page.all(db).await?;
        let Some(last) = rows.last() else {
            return Ok(affected);
        };
        after = Some(last.id);
        for row in &rows {
            let tags = super::tags_of(row);
            let kept = super::retained(row, &tags);
            let goes =
                |policy: &RetentionPolicy| policy.expires_at(&kept).is_some_and(|end| end <= at);
            if goes(policy) && !goes(&current) && super::holds::covering(&holds, row).is_empty() {
                affected += 1;
            }
        }
    }
}
