use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A recording's catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recording {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The audio's media type, as recognised from its bytes.
    pub content_type: String,
    /// The audio's own size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the audio (not of the sealed file), lowercase hex.
    pub sha256: String,
    /// Whether it is stored sealed (encrypted) or as uploaded.
    pub sealed: bool,
    /// The key it is sealed with; null when stored in plaintext.
    pub key_fingerprint: Option<String>,
    pub key_id: Option<Uuid>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Direction::Inbound, Direction::Outbound, Direction::Internal]
            .into_iter()
            .find(|direction| direction.as_str() == name)
    }
}

/// A page of recordings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordingPage {
    pub recordings: Vec<Recording>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}
