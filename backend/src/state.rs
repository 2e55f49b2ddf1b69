use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Auth;
use crate::storage::Store;

/// What every request handler may reach. Cheap to clone; holds no per-instance state, so that
/// any number of instances can serve behind a load balancer.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub store: Store,
    pub auth: Arc<Auth>,
}
