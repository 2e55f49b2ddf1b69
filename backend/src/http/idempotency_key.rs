//! The `Idempotency-Key` request header as an extractor, and the replay of a remembered answer.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};

use crate::domain::idempotency::{self, IdempotencyKey, Remembered};
use crate::http::error::ApiError;

/// The header's key, if the client sent one; a malformed one is a 400.
pub struct IdempotencyHeader(pub Option<IdempotencyKey>);

impl FromRequest for IdempotencyHeader {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = request.headers().get(idempotency::HEADER) else {
            return ready(Ok(Self(None)));
        };
        // Bytes that are not text become replacement characters, which the key refuses.
        let text = String::from_utf8_lossy(value.as_bytes());
        let parsed = IdempotencyKey::parse(text.trim());
        ready(
            parsed
                .map(|key| Self(Some(key)))
                .map_err(ApiError::BadRequest),
        )
    }
}

/// The first answer again, marked as a replay.
pub fn replay(earlier: Remembered) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(earlier.status).unwrap_or(StatusCode::OK))
        .content_type("application/json")
        .insert_header((idempotency::REPLAYED_HEADER, "true"))
        .body(earlier.response)
}

/// The header, as the OpenAPI document describes it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyParam {
    /// Any unique value of the client's (a UUID, say), sent again unchanged with every retry
    /// of the same request: a retry after a lost answer or a 5xx gets the first attempt's
    /// answer (marked `Idempotent-Replayed: true`) instead of storing a second copy. Kept for
    /// a day; the same key with other content is refused (422).
    #[param(
        rename = "Idempotency-Key",
        max_length = 255,
        min_length = 1,
        pattern = "^[!-~]+$",
        nullable = false
    )]
    idempotency_key: Option<String>,
}
