//! Reading a tenant's audit log: a page of it, its verification, and its export.

use callvault_shared::api::{AuditOutcome, AuditPage, AuditVerification};
use chrono::{DateTime, Utc};
use futures_util::{Stream, stream};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{Actor, AuditEntry, verify};
use crate::domain::error::DomainError;
use crate::infra::entities::audit_event;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
/// Records per read while exporting.
const EXPORT_PAGE: u64 = 500;

/// Filters of the audit log; all optional, combined with "and".
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Exact action, e.g. `auth.login`.
    action: Option<String>,
    /// Exact actor username.
    actor: Option<String>,
    outcome: Option<AuditOutcome>,
    /// Records at or after this instant.
    since: Option<DateTime<Utc>>,
    /// Records before this instant.
    until: Option<DateTime<Utc>>,
}

/// A page of the audit log: the filters, and where the page starts and how long it is.
/// (serde's `flatten` would read numbers in a query string as text, so the filters repeat.)
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditPageQuery {
    /// Exact action, e.g. `auth.login`.
    action: Option<String>,
    /// Exact actor username.
    actor: Option<String>,
    outcome: Option<AuditOutcome>,
    /// Records at or after this instant.
    since: Option<DateTime<Utc>>,
    /// Records before this instant.
    until: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page: records older than it.
    before: Option<i64>,
    /// Records per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

impl AuditPageQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            action: self.action.clone(),
            actor: self.actor.clone(),
            outcome: self.outcome,
            since: self.since,
            until: self.until,
        }
    }
}

impl AuditFilter {
    fn apply(&self, tenant_id: Uuid) -> Select<audit_event::Entity> {
        let mut select =
            audit_event::Entity::find().filter(audit_event::Column::TenantId.eq(tenant_id));
        if let Some(action) = &self.action {
            select = select.filter(audit_event::Column::Action.eq(action.as_str()));
        }
        if let Some(actor) = &self.actor {
            select = select.filter(audit_event::Column::Actor.eq(actor.as_str()));
        }
        if let Some(outcome) = self.outcome {
            select = select.filter(audit_event::Column::Outcome.eq(outcome));
        }
        if let Some(since) = self.since {
            select = select.filter(audit_event::Column::At.gte(since));
        }
        if let Some(until) = self.until {
            select = select.filter(audit_event::Column::At.lt(until));
        }
        select
    }
}

/// A page of the tenant's audit log, newest first.
pub async fn page(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    query: &AuditPageQuery,
) -> Result<AuditPage, DomainError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(DomainError::Invalid(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut select = query.filter().apply(tenant_id);
    if let Some(before) = query.before {
        select = select.filter(audit_event::Column::Seq.lt(before));
    }
    let mut events = select
        .order_by_desc(audit_event::Column::Seq)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_cursor = more.then(|| events.last().map(|event| event.seq)).flatten();
    Ok(AuditPage {
        events: events.into_iter().map(super::to_api).collect(),
        next_cursor,
    })
}

/// Walks the tenant's hash chain; a broken one is also logged.
pub async fn check(
    db: &DatabaseConnection,
    tenant_id: Uuid,
) -> Result<AuditVerification, DomainError> {
    let verdict = verify::verify(db, tenant_id).await?;
    if !verdict.intact {
        tracing::warn!(tenant = %tenant_id, problems = verdict.problems.len(), "the audit chain is broken");
    }
    Ok(verdict)
}

/// The whole log (or the part `filter` selects), oldest first, as JSON Lines: one record per
/// line, in chunks read page by page so that memory stays flat however long the log is. The
/// export itself is recorded first.
pub async fn export(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    filter: AuditFilter,
    actor: &Actor,
) -> Result<impl Stream<Item = Result<Vec<u8>, DomainError>> + use<>, DomainError> {
    super::record(db, AuditEntry::new(tenant_id, actor, "audit.export")).await?;
    let select = filter.apply(tenant_id);
    let db = db.clone();
    // Pages by sequence number.
    Ok(stream::try_unfold(Some(0i64), move |after| {
        let (db, select) = (db.clone(), select.clone());
        async move {
            let Some(after) = after else {
                return Ok::<_, DomainError>(None);
            };
            let events = select
                .filter(audit_event::Column::Seq.gt(after))
                .order_by_asc(audit_event::Column::Seq)
                .limit(EXPORT_PAGE)
                .all(&db)
                .await?;
            let next = (events.len() as u64 == EXPORT_PAGE)
                .then(|| events.last().map(|e| e.seq))
                .flatten();
            if events.is_empty() {
                return Ok(None);
            }
            let mut chunk = Vec::new();
            for event in events {
                serde_json::to_writer(&mut chunk, &super::to_api(event))
                    .map_err(DomainError::internal)?;
                chunk.push(b'\n');
            }
            Ok(Some((chunk, next)))
        }
    }))
}
