//! The `Callvault-Statement` and `Callvault-Signature` request headers as an extractor: the
//! tenant's signature on a change that lowers protection in a tenant that holds its own keys.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use callvault_shared::api::{SIGNATURE_HEADER, STATEMENT_HEADER};
use callvault_shared::key_chain::SignedStatement;

use crate::http::error::ApiError;

/// The signed statement, if the request carries one; one header without the other, or either
/// not base64, is a 400.
pub struct SignedHeaders(pub Option<SignedStatement>);

impl FromRequest for SignedHeaders {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = |name| {
            request
                .headers()
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        ready(match (header(STATEMENT_HEADER), header(SIGNATURE_HEADER)) {
            (None, None) => Ok(Self(None)),
            (Some(statement), Some(signature)) => {
                SignedStatement::from_header_values(&statement, &signature)
                    .map(|signed| Self(Some(signed)))
                    .map_err(|error| ApiError::BadRequest(error.to_string()))
            }
            _ => Err(ApiError::BadRequest(format!(
                "{STATEMENT_HEADER} and {SIGNATURE_HEADER} go together"
            ))),
        })
    }
}

/// The headers, as the OpenAPI document describes them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct SignedStatementParams {
    /// In a tenant that holds its own keys: the statement of this change (from
    /// `POST …/keys/statements`), standard base64. Without it the change is refused (403).
    #[param(rename = "Callvault-Statement", nullable = false)]
    callvault_statement: Option<String>,
    /// RSA-PSS-SHA-256 by the tenant's active key over the statement's bytes, standard base64.
    #[param(rename = "Callvault-Signature", nullable = false)]
    callvault_signature: Option<String>,
}
