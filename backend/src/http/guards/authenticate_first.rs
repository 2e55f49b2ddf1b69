//! Authentication before anything else: a request to an API route that needs a session is
//! answered 401 before its body or parameters are read, so that a client without a credential
//! never learns which of its inputs were wrong, and never sees a 400 where 401 is due.
//! (Handler arguments are extracted concurrently; without this, a malformed body could answer
//! before the guard did.)

use actix_web::FromRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::principal::Principal;
use crate::http::route_table::RouteTable;

/// API routes anyone may call that the OpenAPI document does not describe: the document
/// itself. The documented ones are those whose security requirement is empty (the login);
/// the route table, built from the document, knows them.
pub const UNDOCUMENTED_PUBLIC_API_ROUTES: [&str; 1] = ["/api/v1/openapi.json"];

pub async fn require_session(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // A method the documented path does not take is answered 405 by the router, signed in
    // or not. (A path missing from the document stays guarded.)
    let methods = RouteTable::methods_for(request.request());
    let wrong_method = !methods.is_empty() && !methods.contains(&request.method().as_str());
    let guarded = !wrong_method
        && request.match_pattern().is_some_and(|pattern| {
            pattern.starts_with("/api/v1/")
                && !UNDOCUMENTED_PUBLIC_API_ROUTES.contains(&pattern.as_str())
        })
        && !RouteTable::is_public_request(request.request());
    if guarded {
        let (http_request, payload) = request.parts_mut();
        // The principal is kept in the request's extensions for the guards to reuse.
        Principal::from_request(http_request, payload).await?;
    }
    next.call(request).await
}
