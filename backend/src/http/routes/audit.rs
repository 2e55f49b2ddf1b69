//! `/api/v1/tenants/{tenant}/audit`: reading, verifying and exporting a tenant's audit log.

use actix_web::{HttpResponse, get, web};
use callvault_shared::api::{AuditOutcome, AuditPage, AuditVerification};
use chrono::{DateTime, Utc};
use futures_util::stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry, verify};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::audit_event;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

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
            select = select.filter(audit_event::Column::Outcome.eq(outcome.as_str()));
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
#[utoipa::path(
    tag = "audit",
    params(TenantPath, AuditPageQuery),
    responses(
        (status = 200, description = "Records, newest first", body = AuditPage),
        (status = 400, description = "Bad filter"),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
    query: web::Query<AuditPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_LIMIT}"
        )));
    }
    let mut select = query.filter().apply(access.tenant.id);
    if let Some(before) = query.before {
        select = select.filter(audit_event::Column::Seq.lt(before));
    }
    let mut events = select
        .order_by_desc(audit_event::Column::Seq)
        .limit(u64::from(limit) + 1)
        .all(&state.db)
        .await?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_cursor = more.then(|| events.last().map(|event| event.seq)).flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        events: events.into_iter().map(audit::to_api).collect(),
        next_cursor,
    }))
}

/// Walks the tenant's hash chain and reports every record that was altered, removed or
/// inserted.
#[utoipa::path(
    tag = "audit",
    params(TenantPath),
    responses(
        (status = 200, description = "The verdict; `intact` is false when anything was tampered with", body = AuditVerification),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit/verify")]
pub async fn verify_chain(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
) -> Result<HttpResponse, ApiError> {
    let verdict = verify::verify(&state.db, access.tenant.id).await?;
    if !verdict.intact {
        tracing::warn!(tenant = %access.tenant.id, problems = verdict.problems.len(), "the audit chain is broken");
    }
    Ok(HttpResponse::Ok().json(verdict))
}

/// The whole log (or the filtered part), oldest first, as JSON Lines: one record per line,
/// streamed.
#[utoipa::path(
    tag = "audit",
    params(TenantPath, AuditFilter),
    responses(
        (status = 200, description = "One JSON record per line", content_type = "application/jsonl", body = String),
        (status = 400, description = "Bad filter"),
    ),
    security(("bearer" = ["audit_read"]), ("session_cookie" = ["audit_read"]))
)]
#[get("/api/v1/tenants/{tenant}/audit/export")]
pub async fn export(
    state: web::Data<AppState>,
    access: InTenant<need::AuditRead>,
    query: web::Query<AuditFilter>,
) -> Result<HttpResponse, ApiError> {
    audit::record(
        &state.db,
        AuditEntry::new(access.tenant.id, &access.actor(), "audit.export"),
    )
    .await?;
    let select = query.into_inner().apply(access.tenant.id);
    let db = state.db.clone();
    // Pages by sequence number, so that memory stays flat however long the log is.
    let pages = stream::try_unfold(Some(0i64), move |after| {
        let (db, select) = (db.clone(), select.clone());
        async move {
            let Some(after) = after else {
                return Ok::<_, ApiError>(None);
            };
            let events = select
                .filter(audit_event::Column::Seq.gt(after))
                .order_by_asc(audit_event::Column::Seq)
                .limit(500)
                .all(&db)
                .await?;
            let next = (events.len() == 500)
                .then(|| events.last().map(|e| e.seq))
                .flatten();
            if events.is_empty() {
                return Ok(None);
            }
            let mut chunk = Vec::new();
            for event in events {
                serde_json::to_writer(&mut chunk, &audit::to_api(event))
                    .map_err(ApiError::internal)?;
                chunk.push(b'\n');
            }
            Ok(Some((web::Bytes::from(chunk), next)))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/jsonl")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"audit-{}.jsonl\"",
                access.tenant.slug
            ),
        ))
        .streaming(pages))
}
