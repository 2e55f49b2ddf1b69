//! The hash that chains audit records: SHA-256 over a domain label, the previous record's hash
//! and every field of the record in a fixed order, as a JSON array (so that no field's bytes
//! can run into the next one's).

use chrono::SecondsFormat;
use sha2::{Digest, Sha256};

use crate::infra::entities::audit_event;

/// The "previous hash" of a chain's first record.
pub const GENESIS: [u8; 32] = [0; 32];

const DOMAIN: &[u8] = b"callvault audit record v1\n";

pub fn hash(event: &audit_event::Model) -> [u8; 32] {
    let fields = serde_json::json!([
        event.id,
        event.tenant_id,
        event.seq,
        event.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        event.actor_id,
        event.actor,
        event.action,
        event.object_type,
        event.object_id,
        event.outcome,
        event.origin,
        event.details,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(&event.prev_hash);
    hasher.update(fields.to_string().as_bytes());
    hasher.finalize().into()
}
