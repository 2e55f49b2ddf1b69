//! `/api/docs`: Swagger UI over the published OpenAPI document, for integrators to read and
//! try the API. Its files are compiled into the binary (from the `utoipa-swagger-ui-vendored`
//! crate), so the page works on a network with no way out.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::http::error::ApiError;

pub const PATH: &str = "/api/docs";

/// The page's own policy: still nothing from another origin, but Swagger UI sets inline
/// styles on its elements.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    let config = Arc::new(
        Config::new(["/api/v1/openapi.json"])
            // No badge fetched from the validator's public site.
            .validator_url("none")
            .persist_authorization(true)
            .display_request_duration(true)
            .filter(true),
    );
    cfg.app_data(web::Data::new(config))
        .service(web::resource(PATH).get(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, format!("{PATH}/")))
                .finish()
        }))
        .service(web::resource(format!("{PATH}/{{file:.*}}")).get(file));
}

async fn file(
    path: web::Path<String>,
    config: web::Data<Arc<Config<'static>>>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let found = utoipa_swagger_ui::serve(&name, config.get_ref().clone())
        .map_err(|error| ApiError::internal(anyhow::anyhow!("Swagger UI: {error}")))?
        .ok_or_else(|| ApiError::NotFound(format!("no file {name:?} in the API docs")))?;
    Ok(HttpResponse::Ok()
        .content_type(found.content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(found.bytes.into_owned()))
}
