use serde::{Deserialize, Serialize};

/// What importing an archive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOutcome {
    /// Recordings registered now.
    pub imported: u64,
    /// Recordings that were here already (importing the same archive twice adds nothing).
    pub already_present: u64,
}
