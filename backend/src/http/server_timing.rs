//! `Server-Timing: db;desc="N statements"` on every answer, when the configuration asks for
//! it (`CALLVAULT_SERVER_TIMING`): how many statements the request sent the database.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::infra::statement_count;

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

pub async fn report_statements(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let (response, statements) = statement_count::counting(next.call(request)).await;
    let mut response = response?;
    if let Ok(value) = HeaderValue::from_str(&format!("db;desc=\"{statements} statements\"")) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    Ok(response)
}
