//! The hash that chains audit records: SHA-256 over a domain label, the previous record's hash
//! and every field of the record in a fixed order, as a JSON array (so that no field's bytes
//! can run into the next one's).
//!
//! [`hash_link`] works on plain fields, so that the server (over its rows, [`hash`]) and the
//! offline verifier (over the lines of an export) hash with the one function.

use callvault_shared::api::AuditOutcome;
use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::infra::entities::audit_event;

/// The "previous hash" of a chain's first record.
pub const GENESIS: [u8; 32] = [0; 32];

const DOMAIN: &[u8] = b"callvault audit record v1\n";

/// Everything a record's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor: &'a str,
    pub action: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub outcome: AuditOutcome,
    pub origin: &'a str,
    /// The details as JSON text, exactly as stored.
    pub details: &'a str,
    pub prev_hash: &'a [u8],
}

impl<'a> From<&'a audit_event::Model> for Link<'a> {
    fn from(event: &'a audit_event::Model) -> Self {
        Self {
            id: event.id,
            tenant_id: event.tenant_id,
            seq: event.seq,
            at: event.at,
            actor_id: event.actor_id,
            actor: &event.actor,
            action: &event.action,
            object_type: event.object_type.as_deref(),
            object_id: event.object_id.as_deref(),
            outcome: event.outcome,
            origin: &event.origin,
            details: &event.details,
            prev_hash: &event.prev_hash,
        }
    }
}

/// The hash of a stored record.
pub fn hash(event: &audit_event::Model) -> [u8; 32] {
    hash_link(&Link::from(event))
}

pub fn hash_link(link: &Link<'_>) -> [u8; 32] {
    let fields = serde_json::json!([
        link.id,
        link.tenant_id,
        link.seq,
        link.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        link.actor_id,
        link.actor,
        link.action,
        link.object_type,
        link.object_id,
        link.outcome,
        link.origin,
        link.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(link.prev_hash);
    hasher.update(fields.to_string().as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed apart from this code (Python's `hashlib` and `json.dumps` with compact
    /// separators): the bytes hashed are the ones docs/audit.md describes, and a change to
    /// them, which would break every stored chain, fails here.
    #[test]
    fn the_hash_of_a_known_record_is_pinned() {
        let prev_hash = [0xab; 32];
        let link = Link {
            id: Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").expect("uuid"),
            tenant_id: Uuid::parse_str("0190a1b2-0000-7000-8000-000000000001").expect("uuid"),
            seq: 7,
            at: "2024-05-01T12:34:56.123456Z".parse().expect("instant"),
            actor_id: None,
            actor: "root",
            action: "tenant.create",
            object_type: Some("tenant"),
            object_id: Some("acme"),
            outcome: AuditOutcome::Success,
            origin: "127.0.0.1",
            details: "{\"slug\":\"acme\"}",
            prev_hash: &prev_hash,
        };
        assert_eq!(
            hex::encode(hash_link(&link)),
            "51cfc3ddbba0f77329af7d7cad8603da99137176f4e74ed61d599e47ff752181"
        );
    }
}
