use serde::{Deserialize, Serialize};

/// `GET /healthz`: the process is up and answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: CheckState,
    /// The server's version, as built.
    pub version: String,
}

/// `GET /readyz`: whether this instance can serve requests, with the state of each dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub status: CheckState,
    pub database: CheckState,
    pub storage: CheckState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    Ok,
    Unavailable,
}

impl CheckState {
    pub fn from_ok(ok: bool) -> Self {
        if ok { Self::Ok } else { Self::Unavailable }
    }

    pub fn is_ok(self) -> bool {
        self == Self::Ok
    }
}
