use serde::{Deserialize, Serialize};

/// `POST /api/v1/auth/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

// The password must never reach a log line through `{:?}`.
impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
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
    }
}
