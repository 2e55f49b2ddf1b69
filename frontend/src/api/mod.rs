//! The typed client of the callvault REST API: one function per endpoint, taking and
//! returning the shared API types. Same-origin only, so the session cookie goes along; unsafe
//! methods repeat the session's CSRF token.

mod error;

pub use error::ApiError;

use callvault_shared::api::{LoginRequest, LoginResponse, Me, Problem};
use gloo_net::http::{Request, Response};

const API: &str = "/api/v1";
const CSRF_HEADER: &str = "X-CSRF-Token";

/// `POST /api/v1/auth/login`.
pub async fn login(request: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let response = Request::post(&format!("{API}/auth/login"))
        .json(request)?
        .send()
        .await?;
    Ok(ensure_success(response).await?.json().await?)
}

/// `GET /api/v1/auth/me`: who is signed in, or [`ApiError::SignedOut`].
pub async fn me() -> Result<Me, ApiError> {
    let response = Request::get(&format!("{API}/auth/me")).send().await?;
    Ok(ensure_success(response).await?.json().await?)
}

/// `POST /api/v1/auth/logout`.
pub async fn logout(csrf_token: &str) -> Result<(), ApiError> {
    let response = Request::post(&format!("{API}/auth/logout"))
        .header(CSRF_HEADER, csrf_token)
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
    if status == 401 && problem.detail.as_deref() != Some("wrong username or password") {
        return Err(ApiError::SignedOut(problem));
    }
    Err(ApiError::Problem(problem))
}
