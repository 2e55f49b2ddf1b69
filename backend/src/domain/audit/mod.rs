//! The audit log: one append-only record per security-relevant action, chained by hashes per
//! tenant so that an edited, inserted or deleted record is found by [`verify::verify`].

pub mod chain;
pub mod checkpoint;
pub mod log;
pub mod verify;

use callvault_shared::api::AuditOutcome;
use chrono::{SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use crate::infra::entities::{audit_event, tenant};

/// Who acted, and from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: String,
    pub origin: String,
}

impl Actor {
    /// The operator at the server's command line.
    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "command line".into(),
            origin: "cli".into(),
        }
    }
}

/// One record about to be written.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    tenant_id: Uuid,
    actor: Actor,
    action: &'static str,
    object_type: Option<&'static str>,
    object_id: Option<String>,
    outcome: AuditOutcome,
    details: serde_json::Value,
}

impl AuditEntry {
    /// A successful `action` in `tenant_id`'s log, by `actor`.
    pub fn new(tenant_id: Uuid, actor: &Actor, action: &'static str) -> Self {
        Self {
            tenant_id,
            actor: actor.clone(),
            action,
            object_type: None,
            object_id: None,
            outcome: AuditOutcome::Success,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// The same record for another action (a playback's closing record after its opening).
    pub fn action(mut self, action: &'static str) -> Self {
        self.action = action;
        self
    }

    pub fn object(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.object_type = Some(kind);
        self.object_id = Some(id.to_string());
        self
    }

    pub fn outcome(mut self, outcome: AuditOutcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// More facts; never a secret.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends `entry` to its tenant's chain. Instances may write concurrently: bumping the
/// tenant's sequence first takes its row lock (PostgreSQL) or the write lock (SQLite), so
/// appends to one chain are serialised.
pub async fn record(db: &impl TransactionTrait, entry: AuditEntry) -> Result<(), sea_orm::DbErr> {
    let started = std::time::Instant::now();
    let appended = append(db, entry).await;
    crate::infra::metrics::audit_appended(appended.is_ok(), started.elapsed());
    appended
}

async fn append(db: &impl TransactionTrait, entry: AuditEntry) -> Result<(), sea_orm::DbErr> {
    let txn = crate::infra::database::begin_write(db).await?;
    tenant::Entity::update_many()
        .col_expr(
            tenant::Column::AuditSeq,
            Expr::col(tenant::Column::AuditSeq).add(1),
        )
        .filter(tenant::Column::Id.eq(entry.tenant_id))
        .exec(&txn)
        .await?;
    let tenant = tenant::Entity::find_by_id(entry.tenant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit log of a missing tenant".into()))?;

    let mut event = audit_event::Model {
        id: Uuid::now_v7(),
        tenant_id: entry.tenant_id,
        seq: tenant.audit_seq,
        // Both databases keep microseconds; the hash must cover what is read back.
        at: Utc::now().trunc_subsecs(6),
        actor_id: entry.actor.id,
        actor: truncate(entry.actor.name, 200),
        action: entry.action.to_owned(),
        object_type: entry.object_type.map(str::to_owned),
        object_id: entry.object_id.map(|id| truncate(id, 200)),
        outcome: entry.outcome,
        origin: truncate(entry.actor.origin, 64),
        details: entry.details.to_string(),
        prev_hash: tenant.audit_head.unwrap_or_else(|| chain::GENESIS.to_vec()),
        hash: Vec::new(),
    };
    event.hash = chain::hash(&event).to_vec();
    let head = event.hash.clone();
    event.into_active_model().insert(&txn).await?;
    tenant::Entity::update_many()
        .col_expr(tenant::Column::AuditHead, Expr::value(head))
        .filter(tenant::Column::Id.eq(entry.tenant_id))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// Records `entry`, and logs rather than fails when the log cannot be written: for events
/// about a request that is being refused anyway.
pub async fn record_or_log(db: &impl TransactionTrait, entry: AuditEntry) {
    let action = entry.action;
    if let Err(error) = record(db, entry).await {
        tracing::error!(
            action,
            error = format!("{error:#}"),
            "could not write an audit record"
        );
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// The API's view of a record.
pub fn to_api(event: audit_event::Model) -> callvault_shared::api::AuditEvent {
    callvault_shared::api::AuditEvent {
        id: event.id,
        tenant_id: event.tenant_id,
        seq: event.seq,
        at: event.at,
        actor_id: event.actor_id,
        actor: event.actor,
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        outcome: event.outcome,
        origin: event.origin,
        details: serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null),
        hash: hex::encode(event.hash),
        prev_hash: hex::encode(event.prev_hash),
    }
}
