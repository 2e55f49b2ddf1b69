use callvault_shared::api::Direction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::infra::entities::recording;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`super::FORMAT`].
    pub format: String,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub recordings: Vec<ManifestEntry>,
    /// A backup's: where the recordings' personal metadata went (caller, callee, agent,
    /// external id, tags), sealed to the backup's key; the entries then carry none of it in the
    /// clear. Absent in a tenant's export, which keeps it in the clear for the tenant, and in
    /// manifests written before backups sealed it (read as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_metadata: Option<SealedMetadata>,
}

/// The sealed file of a backup's personal metadata: a JSON object of [`PersonalMetadata`] by
/// recording id, sealed (as a recording is, with the nil id and `application/json`) to the key
/// named here. `callvault open` opens it with that key's file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedMetadata {
    /// Always [`super::METADATA`].
    pub file: String,
    pub file_size: u64,
    pub file_sha256: String,
    pub key_fingerprint: String,
}

/// What a backup seals of each recording: who spoke, and what the tenant tagged it with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalMetadata {
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    pub external_id: Option<String>,
    pub tags: Vec<String>,
}

impl PersonalMetadata {
    /// Takes the personal fields out of `entry`, leaving none of them behind.
    pub fn take_from(entry: &mut ManifestEntry) -> Self {
        Self {
            caller: entry.caller.take(),
            callee: entry.callee.take(),
            agent: entry.agent.take(),
            external_id: entry.external_id.take(),
            tags: std::mem::take(&mut entry.tags),
        }
    }

    pub fn put_into(self, entry: &mut ManifestEntry) {
        entry.caller = self.caller;
        entry.callee = self.callee;
        entry.agent = self.agent;
        entry.external_id = self.external_id;
        entry.tags = self.tags;
    }
}

/// One recording: where its file is in the archive, what the file must hash to, and the
/// catalogue entry to register.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestEntry {
    pub id: Uuid,
    /// The tenant it came from, so that a restore puts it back there.
    pub tenant_slug: String,
    pub tenant_name: String,
    /// `recordings/<id>.cvrec` (sealed) or `recordings/<id>.audio` (as uploaded).
    pub file: String,
    pub file_size: u64,
    /// SHA-256 of the file as it is in the archive, lowercase hex.
    pub file_sha256: String,
    pub sealed: bool,
    /// True when the recording was stored in plaintext and sealed only on the way into a
    /// backup (with the System key): a restore opens it with that key's file and puts it back
    /// as it was stored, so the System key never has to enter the tenant. False (and left out)
    /// for a file copied as stored. Manifests written before this field existed lack it and are
    /// read as before: every sealed file as stored sealed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sealed_for_backup: bool,
    pub key_fingerprint: Option<String>,
    pub content_type: String,
    /// The audio's own size and SHA-256.
    pub size_bytes: u64,
    pub sha256: String,
    pub started_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub direction: Option<Direction>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    pub external_id: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl ManifestEntry {
    /// The file name an entry of this id must have: nothing else is accepted, which rules out
    /// absolute names and `..` by construction.
    pub fn file_name(id: Uuid, sealed: bool) -> String {
        if sealed {
            format!("recordings/{id}.cvrec")
        } else {
            format!("recordings/{id}.audio")
        }
    }

    /// The entry for `row`, before its file is written (size and hash come after).
    pub fn describe(row: &recording::Model, tenant_slug: &str, tenant_name: &str) -> Self {
        Self {
            id: row.id,
            tenant_slug: tenant_slug.to_owned(),
            tenant_name: tenant_name.to_owned(),
            file: Self::file_name(row.id, row.sealed),
            file_size: 0,
            file_sha256: String::new(),
            sealed: row.sealed,
            sealed_for_backup: false,
            key_fingerprint: row.key_fingerprint.clone(),
            content_type: row.content_type.clone(),
            size_bytes: u64::try_from(row.size_bytes).unwrap_or_default(),
            sha256: row.sha256.clone(),
            started_at: row.started_at,
            duration_ms: row.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
            direction: row.direction,
            caller: row.caller.clone(),
            callee: row.callee.clone(),
            agent: row.agent.clone(),
            external_id: row.external_id.clone(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            created_at: row.created_at,
        }
    }
}
