use actix_web::{HttpResponse, get, web};
use callvault_shared::api::{CheckState, Health, Readiness};

use crate::http::state::AppState;
use crate::{infra::database, infra::storage};

/// The process is up and answering.
#[utoipa::path(
    tag = "probes",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: CheckState::Ok,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Whether this instance can serve: its database and object store both answer.
#[utoipa::path(
    tag = "probes",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "A dependency is unreachable", body = Readiness)
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (database, storage) = tokio::join!(
        database::is_reachable(&state.db),
        storage::is_reachable(state.store.as_ref())
    );
    let readiness = Readiness {
        status: CheckState::from_ok(database && storage),
        database: CheckState::from_ok(database),
        storage: CheckState::from_ok(storage),
    };
    if readiness.status.is_ok() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}
