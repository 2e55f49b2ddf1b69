//! Failed sign-ins to an account, read back from its audit records: each wrong password that
//! reached a verification was recorded there (refusals by the throttle verify nothing and are
//! counted, not listed). The user learns of them after signing in, and sees them on the
//! account screen.

use callvault_shared::api::{AuditOutcome, FailedSignIn};
use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::infra::entities::{audit_event, user};

/// How far back the account screen looks.
pub const SHOWN_FOR: Duration = Duration::days(30);
/// And how many it lists at most.
pub const SHOWN_AT_MOST: u64 = 50;
const LOGIN: &str = "auth.login";

fn logins_of(user: &user::Model) -> sea_orm::Select<audit_event::Entity> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(user.tenant_id))
        .filter(audit_event::Column::ActorId.eq(user.id))
        .filter(audit_event::Column::Action.eq(LOGIN))
}

/// How many verifications failed since the user's last successful sign-in (before the one
/// being made now).
pub async fn since_last_sign_in(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> Result<u32, sea_orm::DbErr> {
    let last_success = logins_of(user)
        .filter(audit_event::Column::Outcome.eq(AuditOutcome::Success))
        .order_by_desc(audit_event::Column::At)
        .one(db)
        .await?
        .map(|event| event.at);
    let mut failures =
        logins_of(user).filter(audit_event::Column::Outcome.eq(AuditOutcome::Denied));
    if let Some(at) = last_success {
        failures = failures.filter(audit_event::Column::At.gt(at));
    }
    let count = failures.count(db).await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The user's failed sign-ins of the last [`SHOWN_FOR`], newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> Result<Vec<FailedSignIn>, sea_orm::DbErr> {
    Ok(logins_of(user)
        .filter(audit_event::Column::Outcome.eq(AuditOutcome::Denied))
        .filter(audit_event::Column::At.gt(Utc::now() - SHOWN_FOR))
        .order_by_desc(audit_event::Column::At)
        .limit(SHOWN_AT_MOST)
        .all(db)
        .await?
        .into_iter()
        .map(|event| FailedSignIn {
            at: event.at,
            origin: event.origin,
        })
        .collect())
}
