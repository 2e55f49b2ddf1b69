//! Authentication and permission before anything else. A request to an API route is decided
//! in this order, before its body, its query or its parameters are read, so that a client
//! never learns which of its inputs were wrong before it may know (and never sees a 400 where
//! 401, 404 or 403 is due):
//!
//! 1. a method the documented path does not take: 405, naming those it takes;
//! 2. no valid credential (or a cookie without its CSRF token): 401 (403);
//! 3. a tenant in the path the principal may not see: 404, exactly as if it did not exist;
//! 4. the route's permission (from the OpenAPI document, through the route table) not allowed
//!    to the principal: 403, written to the audit log as `access.denied`.
//!
//! (Handler arguments are extracted concurrently; without this, a malformed body or query
//! could answer before the guard did.) The guards in the handlers' signatures check again:
//! this is the first decision, not the only one.

use actix_web::FromRequest;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use callvault_shared::api::Permission;
use uuid::Uuid;

use super::access::{SeenTenant, require_permission, state_of, visible_tenant};
use super::principal::{Principal, cache_for};
use crate::http::error::ApiError;
use crate::http::route_table::{Matched, Route, RouteTable};

/// API routes anyone may call that the OpenAPI document does not describe: the document
/// itself. The documented ones are those whose security requirement is empty (the login);
/// the route table, built from the document, knows them.
pub const UNDOCUMENTED_PUBLIC_API_ROUTES: [&str; 1] = ["/api/v1/openapi.json"];

/// A background job belongs to a tenant through the object, not the path: the job is looked
/// up, and a job in a tenant the principal may not see answers as a missing one.
const JOB: &str = "/api/v1/jobs/{id}";

pub async fn require_session(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match first_decision(&mut request).await {
        Ok(()) => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
        // Answered here, with the request: the access log then knows who was refused.
        Err(refusal) => Ok(request.error_response(refusal).map_into_right_body()),
    }
}

async fn first_decision(request: &mut ServiceRequest) -> Result<(), ApiError> {
    let Some(table) = request.app_data::<Data<RouteTable>>().cloned() else {
        return Ok(());
    };
    let path = request.path().to_owned();
    let method = request.method().as_str().to_owned();
    let route = table.route_of_request(request);
    // A method the documented path does not take is answered 405, signed in or not, naming
    // exactly the methods the document lists for the most specific template of the path.
    let methods = route.map(Route::methods).unwrap_or_default();
    if path.starts_with("/api/") && !methods.is_empty() && !methods.contains(&method.as_str()) {
        return Err(ApiError::MethodNotAllowed {
            detail: format!("{path} takes {}, not {method}", methods.join(", ")),
            allow: methods.join(", "),
        });
    }
    let operation = route.and_then(|route| route.operation(&method));
    let guarded = match &operation {
        Some(matched) => {
            matched
                .template
                .get(..3)
                .is_some_and(|start| start == ["", "api", "v1"])
                && !matched.operation.public
        }
        // A path missing from the document stays guarded. Only then is the router asked,
        // which tries its patterns one by one.
        None => request.match_pattern().is_some_and(|pattern| {
            pattern.starts_with("/api/v1/")
                && !UNDOCUMENTED_PUBLIC_API_ROUTES.contains(&pattern.as_str())
        }),
    };
    if guarded {
        let (http_request, payload) = request.parts_mut();
        // The principal is kept in the request's extensions for the guards to reuse.
        let principal = Principal::from_request(http_request, payload).await?;
        if let Some(matched) = operation
            && let Some(permission) = matched.operation.permission
        {
            decide(http_request, &principal, &matched, &path, permission).await?;
        }
    }
    Ok(())
}

/// Steps 3 and 4: the tenant the route acts in must be visible, then the permission allowed.
async fn decide(
    request: &actix_web::HttpRequest,
    principal: &Principal,
    matched: &Matched<'_>,
    path: &str,
    permission: Permission,
) -> Result<(), ApiError> {
    let state = state_of(request)?;
    let tenant_id = if let Some(selector) = matched.param(path, "tenant") {
        let tenant =
            visible_tenant(&state.db, cache_for(request, &state), principal, &selector).await?;
        let id = tenant.id;
        request
            .extensions_mut()
            .insert(SeenTenant { selector, tenant });
        id
    } else if matched.path() == JOB {
        let Some(id) = matched
            .param(path, "id")
            .and_then(|id| Uuid::try_parse(&id).ok())
        else {
            // Not an id: the handler's path extractor answers 404, as for any missing job.
            return Ok(());
        };
        let missing = || ApiError::from(crate::domain::jobs::not_found(id));
        let job = crate::domain::jobs::show(&state.db, id).await?;
        visible_tenant(&state.db, None, principal, &job.tenant_id.to_string())
            .await
            .map_err(|_| missing())?;
        job.tenant_id
    } else {
        // Nothing in the path names a tenant (creating or listing tenants): a refusal is
        // recorded in the principal's own.
        principal.user().tenant_id
    };
    require_permission(&state, principal, permission, tenant_id, request).await
}
