use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Permission;

/// What an API token may do. A token never does more than the role of the user it is bound
/// to allows at the moment of the request; its scopes narrow that further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Upload recordings and import archives: a recorder. Never reads, plays or exports.
    Upload,
    /// See the tenant, list and search recordings and read their metadata.
    Read,
    /// Play and download recordings, opening keys with the bound user's grants.
    Play,
    /// Download recordings as sealed archives.
    Export,
}

impl TokenScope {
    pub const ALL: [TokenScope; 4] = [
        TokenScope::Upload,
        TokenScope::Read,
        TokenScope::Play,
        TokenScope::Export,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Upload => "upload",
            TokenScope::Read => "read",
            TokenScope::Play => "play",
            TokenScope::Export => "export",
        }
    }

    /// The permissions this scope lets a token use.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            TokenScope::Upload => &[Permission::RecordingsUpload],
            TokenScope::Read => &[Permission::TenantRead, Permission::RecordingsRead],
            TokenScope::Play => &[Permission::RecordingsPlay],
            TokenScope::Export => &[Permission::RecordingsExport],
        }
    }

    /// Whether any scope lets a token use `permission`.
    pub fn any_allows(permission: Permission) -> bool {
        Self::ALL
            .into_iter()
            .any(|scope| scope.permissions().contains(&permission))
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown token scope {s:?}"))
    }
}

/// `POST /api/v1/tenants/{tenant}/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// What the token is for, shown in listings and the audit log: 1 to 100 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "recorder pbx-01", min_length = 1, max_length = 100)
    )]
    pub name: String,
    /// At least one scope.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, example = json!(["upload"])))]
    pub scopes: Vec<TokenScope>,
    /// Days until the token expires: 1 to 730, 90 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 730, example = 365))]
    pub expires_in_days: Option<u32>,
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    /// The user the token acts as: their role bounds it, and a `play` token opens their grants.
    pub user_id: Uuid,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new API token with its secret, shown this once: only a hash of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    /// Send as `Authorization: Bearer <secret>`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "cvt_0f8b9d8c2a1e4b7f9c3d5e6f7a8b9c0d_q3VYx0n9oW1c8Jm2LrT5uKpA7dE4sZ6fHbN0gXyIiCw"
        )
    )]
    pub secret: String,
    pub token: ApiToken,
}
