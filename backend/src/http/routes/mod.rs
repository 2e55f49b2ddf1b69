//! The HTTP routes: probes at the root, the REST API under `/api/v1`.
//!
//! [`configure`] is the one list of routes: each `.service(handler)` registers the handler
//! with actix and adds its `#[utoipa::path]` operation to the OpenAPI document
//! (the OpenAPI generator, `openapi::document`, builds the document from this same list).

pub mod archives;
pub mod audit;
pub mod auth;
pub mod encryption;
pub mod health;
pub mod jobs;
pub mod keys;
pub mod recordings;
pub mod retention;
pub mod tenants;
pub mod tokens;
pub mod users;

use actix_web::{HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::error::ApiError;
use crate::http::route_table::RouteTable;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.map(|cfg| cfg.configure(crate::http::error::extractor_configs))
        // Playback first: the router tries each route's pattern in turn, and a seek is by far
        // the most frequent request (nearly a tenth of a seek's time went to the patterns of
        // the fifty routes before it).
        .service(recordings::audio)
        .service(health::healthz)
        .service(health::readyz)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::me)
        .service(auth::renew_token)
        .service(auth::change_password)
        .service(auth::list_sessions)
        .service(auth::end_session)
        .service(auth::list_failed_sign_ins)
        .service(tenants::list)
        .service(tenants::create)
        .service(tenants::show)
        .service(tenants::update)
        .service(users::list)
        .service(users::create)
        .service(users::show)
        .service(users::update)
        .service(users::remove)
        .service(users::reset_password)
        .service(audit::list)
        .service(audit::verify_chain)
        .service(audit::export)
        .service(audit::checkpoint)
        .service(audit::signing_key)
        .service(keys::list)
        .service(keys::create)
        // Before `{id}`, which would take "chain" for an id.
        .service(keys::chain)
        .service(keys::statement)
        .service(keys::show)
        .service(keys::public_key)
        .service(keys::export)
        .service(keys::activate)
        .service(keys::retire)
        .service(keys::destroy)
        .service(keys::list_grants)
        .service(keys::grant)
        .service(keys::revoke)
        .service(encryption::show)
        .service(encryption::update)
        .service(archives::export)
        .service(archives::import)
        .service(recordings::upload)
        .service(recordings::list)
        .service(recordings::show)
        .service(recordings::update)
        .service(recordings::remove)
        .service(recordings::stored_file)
        .service(jobs::start_rewrap)
        .service(jobs::show)
        .service(retention::show)
        .service(retention::update)
        .service(retention::preview)
        .service(retention::list_holds)
        .service(retention::place_hold)
        .service(retention::release_hold)
        .service(retention::held_recordings)
        .service(tokens::list)
        .service(tokens::create)
        .service(tokens::revoke)
        // Last: what no route above took.
        .map(|cfg| cfg.service(web::scope("/api").default_service(web::to(unknown_endpoint))));
}

/// Anything under `/api` that no route takes: a problem, never the web app's page. A path
/// the API has, asked with a method it does not take, is a 405 that names the ones it does.
async fn unknown_endpoint(request: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = RouteTable::methods_for(&request);
    if !allowed.is_empty() {
        return Err(ApiError::MethodNotAllowed {
            detail: format!(
                "{} takes {}, not {}",
                request.path(),
                allowed.join(", "),
                request.method()
            ),
            allow: allowed.join(", "),
        });
    }
    Err(ApiError::NotFound(format!(
        "no endpoint {} {}",
        request.method(),
        request.path()
    )))
}
