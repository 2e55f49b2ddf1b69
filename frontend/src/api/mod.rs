//! The typed client of the callvault REST API: one function per endpoint, taking and
//! returning the shared API types. Same-origin only, so the session cookie goes along.

mod error;

pub use error::ApiError;

use callvault_shared::api::{LoginRequest, Problem};
use gloo_net::http::{Request, Response};

const API: &str = "/api/v1";

/// `POST /api/v1/auth/login`.
pub async fn login(request: &LoginRequest) -> Result<(), ApiError> {
    let response = Request::post(&format!("{API}/auth/login"))
        .json(request)?
        .send()
        .await?;
    ensure_success(response).await.map(drop)
}

/// A 2xx answer as it is; any other as the problem the server described.
async fn ensure_success(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let problem = response
        .json::<Problem>()
        .await
        .unwrap_or_else(|_| Problem::new(status, response.status_text(), None));
    Err(ApiError::Problem(problem))
}
