//! The API's error type. Each variant maps to one HTTP status and an RFC 9457 problem; an
//! internal error answers an opaque 500 and logs its whole cause chain.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use callvault_shared::api::Problem;

use crate::domain::error::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// No credential, or one that is not (or no longer) valid.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow this, or a key grant is missing.
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or belonging to a tenant the principal cannot see: the two are one answer.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The path exists, but not with this method; carries the methods it takes.
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    /// The client stopped sending in the middle of a request body.
    #[error("{0}")]
    RequestTimeout(String),
    /// Well-formed, and refused for what it says (an idempotency key used for another request).
    #[error("{0}")]
    Unprocessable(String),
    /// Existed, and can never be served again (its key was destroyed).
    #[error("{0}")]
    Gone(String),
    /// A `Range` beyond the end; carries the whole length for `Content-Range`.
    #[error("the range starts beyond the end ({0} bytes)")]
    RangeNotSatisfiable(u64),
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// A recording's stored bytes are missing, shorter than the catalogue says, or do not
    /// open: retrying cannot help, restoring it from a backup can. A 500 whose detail says so.
    #[error("{0}")]
    Damaged(String),
    /// The database or the object store (named) cannot be reached: the client may retry.
    #[error("the {0} is not available; try again later")]
    Unavailable(&'static str),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// How long a client is told to wait before retrying a 503.
pub const RETRY_AFTER_UNAVAILABLE_SECS: u64 = 5;

impl ApiError {
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error");
        let detail = match self {
            // Never tell a client what broke inside: that is for the log.
            ApiError::Internal(_) => None,
            other => Some(other.to_string()),
        };
        Problem::new(status.as_u16(), title, detail)
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        error.into().into()
    }

    /// The kind of failure, as the metrics count it: a few fixed words, never a detail.
    pub fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::RequestTimeout(_) => "stalled",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::Gone(_) => "gone",
            ApiError::RangeNotSatisfiable(_) => "range_not_satisfiable",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Damaged(_) => "damaged",
            ApiError::Unavailable("database") => "database_unavailable",
            ApiError::Unavailable(_) => "store_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// The kind of an error answer ([`ApiError::kind`]), left on the response for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorKind(pub &'static str);

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        anyhow::Error::from(error).into()
    }
}

/// An outage of the database or the object store anywhere in the cause chain is a 503, which
/// a client may retry; anything else is a 500.
impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        match crate::infra::outage::dependency_down(&error) {
            Some(dependency) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "{dependency} is unreachable; answering 503"
                );
                if crate::infra::outage::pool_timed_out(&error) {
                    crate::infra::metrics::pool_timed_out();
                }
                ApiError::Unavailable(dependency)
            }
            None => ApiError::Internal(error),
        }
    }
}

/// The one place where the domain's kinds of failure become statuses.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(detail) => ApiError::BadRequest(detail),
            DomainError::NotFound(detail) => ApiError::NotFound(detail),
            DomainError::Conflict(detail) => ApiError::Conflict(detail),
            DomainError::Refused(detail) => ApiError::Forbidden(detail),
            DomainError::SignedOut(detail) => ApiError::Unauthorized(detail),
            DomainError::Gone(detail) => ApiError::Gone(detail),
            DomainError::TooLarge(detail) => ApiError::TooLarge(detail),
            DomainError::NotAudio(detail) => ApiError::UnsupportedMediaType(detail),
            DomainError::Stalled(detail) => ApiError::RequestTimeout(detail),
            DomainError::RangeNotSatisfiable(len) => ApiError::RangeNotSatisfiable(len),
            DomainError::Damaged(detail) => ApiError::Damaged(detail),
            DomainError::KeyReused(detail) => ApiError::Unprocessable(detail),
            DomainError::Internal(error) => error.into(),
        }
    }
}

impl From<crate::domain::idempotency::IdempotencyError> for ApiError {
    fn from(error: crate::domain::idempotency::IdempotencyError) -> Self {
        match error {
            crate::domain::idempotency::IdempotencyError::Reused => {
                ApiError::Unprocessable(error.to_string())
            }
            crate::domain::idempotency::IdempotencyError::Database(error) => error.into(),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        anyhow::Error::from(error).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Damaged(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
            }
            ApiError::Damaged(detail) => tracing::error!(detail, "a stored recording is damaged"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        response.extensions_mut().insert(ErrorKind(self.kind()));
        let headers = response.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"callvault\""),
                );
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                if let Ok(value) = header::HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::RangeNotSatisfiable(len) => {
                if let Ok(value) = header::HeaderValue::from_str(&format!("bytes */{len}")) {
                    headers.insert(header::CONTENT_RANGE, value);
                }
            }
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, value);
                }
            }
            ApiError::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(RETRY_AFTER_UNAVAILABLE_SECS),
                );
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, Problem::MEDIA_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(serde_json::to_string(problem).unwrap_or_default())
}

/// Bodies, paths and queries that cannot be parsed answer a problem too, never actix's text.
pub fn extractor_configs(cfg: &mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(|error, _| {
                let detail = match &error {
                    actix_web::error::JsonPayloadError::ContentType => {
                        return ApiError::UnsupportedMediaType(
                            "the body must be JSON, sent as Content-Type: application/json".into(),
                        )
                        .into();
                    }
                    actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                    | actix_web::error::JsonPayloadError::Overflow { .. } => {
                        return ApiError::TooLarge("the JSON body is larger than 64 KiB".into())
                            .into();
                    }
                    other => format!("the JSON body cannot be read: {other}"),
                };
                ApiError::BadRequest(detail).into()
            }),
    )
    .app_data(
        web::PathConfig::default().error_handler(|error, _| {
            ApiError::NotFound(format!("no such object: {error}")).into()
        }),
    )
    .app_data(web::QueryConfig::default().error_handler(|error, _| {
        ApiError::BadRequest(format!("bad query parameters: {error}")).into()
    }));
}
