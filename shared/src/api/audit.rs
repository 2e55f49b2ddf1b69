use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One record of the audit log. Records of a tenant form a hash chain: `hash` covers every
/// other field and the previous record's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Position in the tenant's chain, from 1, without gaps.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The user who acted; null for an unknown user (a failed login) or the command line.
    pub actor_id: Option<Uuid>,
    /// The username, as typed for a failed login.
    pub actor: String,
    /// What happened, as `area.verb`: `auth.login`, `user.create`, `access.denied`, …
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: AuditOutcome,
    /// The client address, or `cli` for the command line.
    pub origin: String,
    /// More about the event; never a secret.
    pub details: serde_json::Value,
    /// SHA-256, lowercase hex.
    pub hash: String,
    /// The `hash` of the record before it (64 zeros for the first), lowercase hex: with the
    /// other fields, enough to recompute `hash` offline.
    pub prev_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum AuditOutcome {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "success"))]
    Success,
    /// Refused: wrong credentials, missing permission, locked account.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "denied"))]
    Denied,
    /// Attempted and failed for another reason.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "failure"))]
    Failure,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Denied => "denied",
            AuditOutcome::Failure => "failure",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Success, Self::Denied, Self::Failure]
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; null on the last page.
    pub next_cursor: Option<i64>,
}

/// The result of walking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerification {
    /// True when every record is present, unaltered and in order.
    pub intact: bool,
    pub records_checked: u64,
    /// The first problems found, at most 100.
    pub problems: Vec<AuditProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditProblem {
    /// Where in the chain; for a missing record, the first missing position.
    pub seq: i64,
    pub problem: String,
}
