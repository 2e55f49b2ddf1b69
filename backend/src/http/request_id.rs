//! Every request's id: made here (a UUIDv7, so ids sort by time), or taken from the
//! `X-Request-Id` a trusted proxy sent when the operator says its ids are to be kept
//! (`CALLVAULT_TRUST_REQUEST_ID`). Log lines carry it and the answer returns it, so that a
//! complaint, a proxy's log and ours meet on one id.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{Error, HttpMessage};

use crate::infra::config::TrustedProxies;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a proxy; longer ones are replaced, not cut.
const LONGEST: usize = 128;

/// The request's id, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives the request its id and returns it in `X-Request-Id`, on refusals too.
pub async fn assign(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
    trust_proxy_ids: bool,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = trust_proxy_ids
        .then(|| from_trusted_proxy(&request))
        .flatten()
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    request.extensions_mut().insert(RequestId(id.clone()));
    let value = HeaderValue::from_str(&id).ok();
    let mut outcome = next.call(request).await;
    if let (Ok(response), Some(value)) = (&mut outcome, value) {
        response.headers_mut().insert(HEADER, value);
    }
    outcome
}

/// The proxy's id, when the TCP peer is a trusted proxy and the id is short, visible ASCII
/// without spaces or quotes (it goes into log lines and a header unchanged).
fn from_trusted_proxy(request: &ServiceRequest) -> Option<String> {
    let peer = request.peer_addr()?.ip();
    let trusted = request
        .app_data::<Data<TrustedProxies>>()
        .is_some_and(|proxies| proxies.contains(peer));
    if !trusted {
        return None;
    }
    let id = request.headers().get(HEADER)?.to_str().ok()?;
    let acceptable = !id.is_empty()
        && id.len() <= LONGEST
        && id
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'"' && byte != b'\\');
    acceptable.then(|| id.to_owned())
}
