//! After a request that may have changed something, this instance reads the access epoch
//! before the answer leaves, so that what the request revoked is no longer served from this
//! instance's memory by the time its client hears that it was done.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;

use crate::http::guards::principal::is_safe;
use crate::http::state::AppState;

pub async fn after_changes(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = (!is_safe(request.method()))
        .then(|| request.app_data::<Data<AppState>>().cloned())
        .flatten();
    let response = next.call(request).await?;
    if let Some(state) = state
        && state.access.sync(&state.db).await.is_err()
    {
        // Unsure whether the counter moved: nothing kept so far serves again.
        state.access.drop_all();
    }
    Ok(response)
}
