//! The API's error type. Each variant maps to one HTTP status and an RFC 9457 problem; an
//! internal error answers an opaque 500 and logs its whole cause chain.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use callvault_shared::api::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

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
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        problem_response(&self.problem())
    }
}

pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, Problem::MEDIA_TYPE))
        .body(serde_json::to_string(problem).unwrap_or_default())
}
