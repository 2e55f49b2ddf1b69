//! One line per request, and the request metrics, as the answer leaves: the route template
//! (never the concrete path, which holds ids), method, status, latency, request id, and the
//! tenant and principal the guards found. Outside the request's span, so that the line stands
//! alone in JSON; and nothing from headers, queries or bodies, so that no token, cookie or
//! password can reach it.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, HttpMessage, HttpRequest};
use callvault_shared::api::Permission;

use crate::http::error::{ApiError, ErrorKind};
use crate::http::guards::access::SeenTenant;
use crate::http::guards::principal::Principal;
use crate::http::request_id::RequestId;
use crate::http::route_table::RouteTable;
use crate::infra::metrics::{self, Operation};

pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let (route, operation) = route_of(&request, &method);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let outcome = next.call(request).await;
    let elapsed = started.elapsed();
    let (status, kind) = match &outcome {
        Ok(response) => (
            response.status(),
            response
                .response()
                .extensions()
                .get::<ErrorKind>()
                .map(|kind| kind.0),
        ),
        // A middleware's refusal: its answer is made further out, from this error.
        Err(error) => (
            error.as_response_error().status_code(),
            Some(error.as_error::<ApiError>().map_or("other", ApiError::kind)),
        ),
    };
    metrics::request_answered(&route, &method, status.as_u16(), elapsed);
    if let Some(kind) = kind {
        metrics::request_failed(operation, kind);
    }
    let (tenant_id, principal_id) = match &outcome {
        Ok(response) => who(response.request(), route.contains("{tenant}")),
        Err(_) => (None, None),
    };
    tracing::info!(
        http.method = %method,
        http.route = %route,
        http.status_code = status.as_u16(),
        // Microseconds are plenty, and keep the line short.
        latency_ms = elapsed.as_micros() as f64 / 1000.0,
        request_id = %request_id,
        tenant_id = tenant_id.map(tracing::field::display),
        principal_id = principal_id.map(tracing::field::display),
        error.kind = kind,
        "answered"
    );
    outcome
}

/// The route's template, and what its operation does by the permission it takes.
fn route_of(request: &ServiceRequest, method: &str) -> (String, Operation) {
    let permission = request
        .app_data::<Data<RouteTable>>()
        .and_then(|table| table.route_of_request(request)?.operation(method))
        .and_then(|matched| matched.operation.permission);
    let operation = match permission {
        Some(Permission::RecordingsUpload) => Operation::Ingest,
        Some(Permission::RecordingsPlay) => Operation::Playback,
        _ => Operation::Other,
    };
    (RouteTable::template_of_request(request), operation)
}

/// The tenant the request acted in and who made it, where the guards established them. On a
/// route that names a tenant, only one the principal may see counts (a refused or missing one
/// is not the principal's own); elsewhere the principal acts in their own.
fn who(request: &HttpRequest, names_tenant: bool) -> (Option<uuid::Uuid>, Option<uuid::Uuid>) {
    let extensions = request.extensions();
    let principal = extensions.get::<Principal>();
    let tenant = if names_tenant {
        extensions.get::<SeenTenant>().map(|seen| seen.tenant.id)
    } else {
        principal.map(|principal| principal.user().tenant_id)
    };
    (tenant, principal.map(|principal| principal.user().id))
}
