//! The HTTP routes: probes at the root, the REST API under `/api/v1`.

pub mod health;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(web::resource("/api/openapi.json").get(crate::openapi::document))
        .service(web::scope("/api").default_service(web::to(unknown_endpoint)));
}

/// Anything under `/api` that no route takes: a problem, never the web app's page.
async fn unknown_endpoint(request: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no endpoint {} {}",
        request.method(),
        request.path()
    )))
}
