use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant of the provider. The System account is the tenant with slug `system`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: Uuid,
    /// Lowercase letters, digits and hyphens; selects the tenant in paths like its id does.
    pub slug: String,
    pub name: String,
    /// Whether this is the provider's own System account.
    pub system: bool,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/tenants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 2 to 63 of `a-z`, `0-9` and `-`, starting with a letter.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "acme",
            min_length = 2,
            max_length = 63,
            pattern = "^[a-z][a-z0-9-]*[a-z0-9]$"
        )
    )]
    pub slug: String,
    /// 1 to 200 characters, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Acme Telecom", min_length = 1, max_length = 200)
    )]
    pub name: String,
}

/// `PATCH /api/v1/tenants/{tenant}`: the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    /// 1 to 200 characters, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
}
