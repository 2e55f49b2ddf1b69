use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::domain::access_cache::AccessCache;
use crate::domain::auth::Auth;
use crate::domain::recordings::opened::OpenedRecordings;
use crate::domain::recordings::playback_log::PlaybackLog;
use crate::infra::audit_key::AuditSigningKey;
use crate::infra::commit_lane::CommitLane;
use crate::infra::storage::{RangeReads, Store};

/// What every request handler may reach. Cheap to clone. What it keeps in this instance is
/// only caches that follow the database's changes within a second (`access`), so that any
/// number of instances can serve behind a load balancer.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Where transactions that hold a tenant's audit chain lock on the request path run.
    pub lane: CommitLane,
    pub store: Store,
    /// Ranged reads of the same store, for playback.
    pub reads: RangeReads,
    pub auth: Arc<Auth>,
    pub limits: Limits,
    pub opened: Arc<OpenedRecordings>,
    /// Rows read lately, for reads (see [`AccessCache`]).
    pub access: Arc<AccessCache>,
    /// Playbacks under way, for their audit records.
    pub playbacks: Arc<PlaybackLog>,
    /// Signs audit checkpoints; read from its file, never from the database.
    pub audit_key: Arc<AuditSigningKey>,
}

impl AppState {
    /// The database and the store, for domain work that outlives the request (a job).
    pub fn handles(&self) -> crate::domain::jobs::Handles {
        crate::domain::jobs::Handles {
            db: self.db.clone(),
            store: self.store.clone(),
        }
    }
}

/// Bounds on what a request may make the server do.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_upload_bytes: u64,
    /// How long an upload may send nothing before it is cut off.
    pub upload_idle: std::time::Duration,
}
