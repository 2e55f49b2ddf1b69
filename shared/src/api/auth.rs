use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Permission, Tenant, User};

/// The `detail` of a login's 401 for a wrong username or password. The web app tells it apart
/// from a session that has ended, so the two sides must agree on it.
pub const WRONG_CREDENTIALS: &str = "wrong username or password";

/// `POST /api/v1/auth/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({"username": "ada", "password": "a long passphrase of several words"}))
)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A successful login. The browser also receives the session cookie; API clients send
/// `access_token` as `Authorization: Bearer …` and renew it at `POST /api/v1/auth/token`
/// before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    /// A JWT (HS256), valid until `expires_at` and only while its session lasts.
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub session: SessionInfo,
    /// Send as `X-CSRF-Token` with every unsafe request that relies on the session cookie.
    pub csrf_token: String,
    /// Wrong passwords tried on this account since its previous successful sign-in; they are
    /// listed at `GET /api/v1/auth/failed-sign-ins`.
    #[serde(default)]
    pub failed_sign_ins_since_last: u32,
}

/// A wrong password tried on the current user's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailedSignIn {
    pub at: DateTime<Utc>,
    /// The client address it came from.
    pub origin: String,
}

/// A renewed access token for the same session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessToken {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/v1/auth/me`: who is signed in, where, and what they may do there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub user: User,
    pub tenant: Tenant,
    pub session: SessionInfo,
    /// What the user's role allows in their own tenant (provider staff: in every tenant).
    pub permissions: Vec<Permission>,
    pub csrf_token: String,
}

/// One login of the current user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The client address the session was opened from.
    pub origin: String,
    pub user_agent: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// `POST /api/v1/auth/password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    /// At least the server's minimum (12 characters unless configured down to 8), at most 1024.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub new_password: String,
}

/// What a password change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChanged {
    /// The user's other sessions, ended by the change.
    pub sessions_ended: u64,
}

// Passwords must never reach a log line through `{:?}`.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { <redacted> }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_password() {
        let request = LoginRequest {
            username: "root".into(),
            password: "correct horse battery staple".into(),
        };
        let printed = format!("{request:?}");
        assert!(printed.contains("root"));
        assert!(!printed.contains("horse"), "{printed}");
        let change = PasswordChange {
            current_password: "correct horse battery staple".into(),
            new_password: "tr0ub4dor and three".into(),
        };
        let printed = format!("{change:?}");
        assert!(!printed.contains("horse") && !printed.contains("tr0ub"));
    }
}
