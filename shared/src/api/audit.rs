use chrono::{DateTime, SecondsFormat, Utc};
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

/// The server's audit signing key: the public half, which verifies its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditSigningKey {
    /// Always [`CHECKPOINT_ALGORITHM`] (`ed25519`).
    pub algorithm: String,
    /// The 32 bytes of the Ed25519 public key, standard base64.
    pub public_key: String,
    /// SHA-256 of those 32 bytes, lowercase hex: compare it with the one published out of band.
    pub fingerprint: String,
}

/// A signed statement of the server that a tenant's audit chain had `length` records ending
/// in `head` at `time`. An export taken later can be checked against it offline
/// (`callvault audit verify`): records that were edited, deleted or rewritten since are found,
/// even when the database's own head was rewritten with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditCheckpoint {
    /// [`CHECKPOINT_VERSION`] (1).
    pub version: u32,
    pub tenant_id: Uuid,
    /// How many records the chain had: records 1 to `length`.
    pub length: u64,
    /// The hash of record `length`, lowercase hex; 64 zeros when `length` is 0.
    pub head: String,
    /// When the server signed, RFC 3339 in UTC, whole seconds.
    pub time: DateTime<Utc>,
    /// The public key that verifies `signature`, standard base64 (as in [`AuditSigningKey`]).
    pub signing_key: String,
    /// Ed25519 over [`AuditCheckpoint::signed_text`], standard base64.
    pub signature: String,
}

/// The only version of checkpoints so far.
pub const CHECKPOINT_VERSION: u32 = 1;
/// The signature algorithm of checkpoints.
pub const CHECKPOINT_ALGORITHM: &str = "ed25519";
/// The first line of a checkpoint's signed text: what it is, and its version.
pub const CHECKPOINT_HEADER: &str = "callvault audit checkpoint v1";
/// The names of the signed text's fields, one line each, in this order.
pub const CHECKPOINT_TENANT: &str = "tenant";
pub const CHECKPOINT_LENGTH: &str = "length";
pub const CHECKPOINT_HEAD: &str = "head";
pub const CHECKPOINT_TIME: &str = "time";

impl AuditCheckpoint {
    /// The bytes the signature covers (see [`checkpoint_text`]).
    pub fn signed_text(&self) -> String {
        checkpoint_text(self.tenant_id, self.length, &self.head, self.time)
    }
}

/// The text a checkpoint signs: the header line, then `name: value` lines for the tenant (its
/// id, hyphenated lowercase), the length (decimal), the head (lowercase hex) and the time
/// (RFC 3339 in UTC with `Z`; the server signs whole seconds, and a fraction would be written
/// out), each line ended by LF, the last one too. The server and the offline verifier both
/// build it here.
pub fn checkpoint_text(tenant_id: Uuid, length: u64, head: &str, time: DateTime<Utc>) -> String {
    format!(
        "{CHECKPOINT_HEADER}\n\
         {CHECKPOINT_TENANT}: {}\n\
         {CHECKPOINT_LENGTH}: {length}\n\
         {CHECKPOINT_HEAD}: {head}\n\
         {CHECKPOINT_TIME}: {}\n",
        tenant_id.hyphenated(),
        time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_text_of_a_checkpoint_is_one_field_a_line() {
        let checkpoint = AuditCheckpoint {
            version: CHECKPOINT_VERSION,
            tenant_id: Uuid::parse_str("0190A1B2-0000-7000-8000-000000000001").expect("uuid"),
            length: 42,
            head: "ab".repeat(32),
            time: "2024-05-01T12:34:56Z".parse().expect("instant"),
            signing_key: String::new(),
            signature: String::new(),
        };
        assert_eq!(
            checkpoint.signed_text(),
            format!(
                "callvault audit checkpoint v1\n\
                 tenant: 0190a1b2-0000-7000-8000-000000000001\n\
                 length: 42\n\
                 head: {}\n\
                 time: 2024-05-01T12:34:56Z\n",
                "ab".repeat(32)
            )
        );
        // A fraction the server did not sign is part of the text, so it cannot slip past.
        let fractional = AuditCheckpoint {
            time: "2024-05-01T12:34:56.5Z".parse().expect("instant"),
            ..checkpoint
        };
        assert!(
            fractional
                .signed_text()
                .contains("time: 2024-05-01T12:34:56.500Z\n")
        );
    }
}
