use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;

/// A user as the API shows it: never a password hash or key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// SHA-256 of the user key's SubjectPublicKeyInfo, lowercase hex; null until the first
    /// login of a user created before user keys existed.
    pub key_fingerprint: Option<String>,
}

/// `POST /api/v1/tenants/{tenant}/users`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Unique across the whole instance: 2 to 100 of letters, digits, `.`, `_`, `-`, `@`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "alice",
            min_length = 2,
            max_length = 100,
            pattern = "^[A-Za-z0-9._@-]+$"
        )
    )]
    pub username: String,
    /// At least the server's minimum (12 characters unless configured down to 8), at most 1024.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
    pub role: Role,
}

/// `PATCH /api/v1/tenants/{tenant}/users/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

/// `POST /api/v1/tenants/{tenant}/users/{id}/reset-password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The user's new password, to hand to them.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
}

/// What a reset did. The user's old key pair is gone: every grant they held is void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetOutcome {
    pub user: User,
    /// Grants on encryption keys that the reset voided and deleted.
    pub grants_removed: u64,
    pub sessions_ended: u64,
    /// What the administrator must know, in words.
    pub notice: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordReset { <redacted> }")
    }
}
