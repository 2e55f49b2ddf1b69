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
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum Direction {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "inbound"))]
    Inbound,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "outbound"))]
    Outbound,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "internal"))]
    Internal,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Inbound, Direction::Outbound, Direction::Internal];

    /// The direction's name for people, as screens show it.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
            Direction::Internal => "Internal",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
            Direction::Internal => "internal",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|direction| direction.as_str() == name)
    }
}

/// A page of recordings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordingPage {
    pub recordings: Vec<Recording>,
    /// Pass as `cursor` for the next page; null on the last one, and when paging by `page`.
    pub next_cursor: Option<Uuid>,
    /// How many recordings pass the filters, on every page together.
    pub total: u64,
}

/// Filters of the catalogue; all optional, combined with "and".
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RecordingQuery {
    /// Calls that started at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Calls that started before this instant.
    pub to: Option<DateTime<Utc>>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    pub direction: Option<Direction>,
    pub external_id: Option<String>,
    /// Recordings carrying this tag.
    pub tag: Option<String>,
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Option<u64>, maximum = 4294967295u64)
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u64>, maximum = 4294967295u64)
    )]
    pub min_duration_ms: Option<u32>,
    #[cfg_attr(
        feature = "openapi",
        param(value_type = Option<u64>, maximum = 4294967295u64)
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<u64>, maximum = 4294967295u64)
    )]
    pub max_duration_ms: Option<u32>,
    /// Newest (the default) or oldest first, by upload. With `order_by`, `newest` is
    /// descending and `oldest` ascending.
    pub sort: Option<Sort>,
    /// The column to order by; by upload when absent. Any other order pages by `page`.
    pub order_by: Option<OrderBy>,
    /// The `next_cursor` of the previous page (upload order only).
    pub cursor: Option<Uuid>,
    /// The page to return, from 1, of `limit` recordings each: for any order, with page
    /// numbers; not together with `cursor`.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000000))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub page: Option<u32>,
    /// Recordings per page (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 500))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    Newest,
    Oldest,
}

/// The column a page of recordings is ordered by; recordings that lack the value come last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderBy {
    /// When it was uploaded (the default).
    Uploaded,
    /// When the call started.
    StartedAt,
    Caller,
    Callee,
    Agent,
    /// The call's length.
    Duration,
}

/// The fields of a recording that may change after upload.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordingUpdate {
    /// At most 32 tags of 1 to 64 characters.
    #[cfg_attr(feature = "openapi", schema(max_items = 32))]
    pub tags: Option<Vec<String>>,
    pub agent: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AudioQuery {
    /// `true`: as a download (`Content-Disposition: attachment`).
    pub download: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The web app sends these as query strings: what it writes, the server reads back the same,
    /// with unset filters left out (the server refuses unknown fields, not missing ones).
    #[test]
    fn queries_round_trip_through_query_strings() {
        let query = RecordingQuery {
            from: "2025-03-01T00:00:00Z".parse().ok(),
            to: "2025-03-31T23:59:59Z".parse().ok(),
            caller: Some("+41 44 000 00 00 & co".into()),
            direction: Some(Direction::Inbound),
            sort: Some(Sort::Oldest),
            cursor: Some(Uuid::nil()),
            limit: Some(25),
            ..RecordingQuery::default()
        };
        let text = serde_urlencoded::to_string(&query).expect("serializes");
        assert!(!text.contains("callee"), "{text}");
        assert!(text.contains("sort=oldest") && text.contains("direction=inbound"));
        let back: RecordingQuery = serde_urlencoded::from_str(&text).expect("parses");
        assert_eq!(back, query);

        let empty = serde_urlencoded::to_string(RecordingQuery::default()).expect("serializes");
        assert_eq!(empty, "");

        let audio = AudioQuery {
            download: Some(true),
        };
        assert_eq!(
            serde_urlencoded::to_string(audio).expect("serializes"),
            "download=true"
        );
    }
}
