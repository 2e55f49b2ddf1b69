use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::RecordingQuery;

/// What importing an archive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOutcome {
    /// Recordings registered now.
    pub imported: u64,
    /// Recordings that were here already (importing the same archive twice adds nothing).
    pub already_present: u64,
    /// Recordings left out because they are past their retention under this tenant's policy
    /// (a restore also leaves out those deleted here before).
    #[serde(default)]
    pub skipped: u64,
}

/// Which recordings to export: by id, or every one a filter finds.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    #[serde(default)]
    pub ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub filter: Option<RecordingQuery>,
}
