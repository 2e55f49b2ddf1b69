//! `/api/v1/auth`: login, logout, the current user, access-token renewal, password change,
//! and the user's own sessions.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use callvault_shared::api::{
    AccessToken, FailedSignIn, LoginRequest, LoginResponse, Me, PasswordChange, PasswordChanged,
    SessionInfo,
};
use uuid::Uuid;

use crate::domain::auth::failed_sign_ins;
use crate::domain::auth::login::{Attempt, Login, sign_in};
use crate::domain::auth::password_change;
use crate::domain::auth::session as sessions;
use crate::http::error::ApiError;
use crate::http::guards::cookies;
use crate::http::guards::principal::{Principal, origin_of};
use crate::http::json::Json;
use crate::http::state::AppState;

/// Signs in. The browser keeps the session cookie; API clients use `access_token`.
///
/// Guessing is throttled over any 15 minutes: 10 failures of one name from one address lock
/// that pair; 100 failures from one address lock the address for browsers that have not
/// signed in to the account before (the device cookie this answer sets); 50 failures of one
/// name from everywhere slow it to one attempt every 10 seconds. A refused attempt answers
/// 429 with `Retry-After`, whether or not the name exists, and checks no password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the browser's session", body = LoginResponse),
        (status = 400, description = "Not a login request"),
        (status = 401, description = "Wrong username or password"),
        (status = 429, description = "Too many failures: locked for a while (see `Retry-After`)"),
    ),
    security(())
)]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let device_cookie = request.cookie(cookies::DEVICE_COOKIE);
    let login = sign_in(
        &state.db,
        &state.auth,
        Attempt {
            request: body.into_inner(),
            origin: &origin_of(&request),
            user_agent,
            device_cookie: device_cookie.as_ref().map(|cookie| cookie.value()),
        },
    )
    .await?;
    let signed_in = match login {
        Login::SignedIn(signed_in) => signed_in,
        Login::Throttled {
            detail,
            retry_after_secs,
        } => {
            return Err(ApiError::TooManyRequests {
                detail,
                retry_after_secs,
            });
        }
    };
    Ok(HttpResponse::Ok()
        .cookie(cookies::cookie(
            signed_in.session_id,
            &signed_in.secret,
            state.auth.policy.session_lifetime,
        ))
        .cookie(cookies::device_cookie(signed_in.device_cookie))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(signed_in.response))
}

/// Signs out: the session ends now, on every instance, and with it the key access it held.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 403, description = "Cookie without the CSRF header"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[post("/api/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let session = principal.session()?;
    sessions::sign_out(&state.db, principal.user(), session, &principal.actor()).await?;
    Ok(HttpResponse::NoContent()
        .cookie(cookies::removal_cookie())
        .finish())
}

/// The signed-in user, their tenant and what their role allows.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Who is signed in", body = Me),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[get("/api/v1/auth/me")]
pub async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let session = principal.session()?;
    let me = sessions::describe(&state.db, principal.user(), session, principal.secret()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(me))
}

/// A new access token for the current session, to call before the old one expires.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "A fresh access token", body = AccessToken),
        (status = 401, description = "Not signed in, or the session ended"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[post("/api/v1/auth/token")]
pub async fn renew_token(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let session = principal.session()?;
    let token = sessions::renew(&state.auth, principal.user(), session, principal.secret())?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(token))
}

/// Changes the signed-in user's password. Their key pair stays (re-sealed under the new
/// password), so every grant they hold still works; their other sessions end.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 200, description = "Changed", body = PasswordChanged),
        (status = 400, description = "The new password is refused (the detail says why)"),
        (status = 403, description = "The current password is wrong"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[post("/api/v1/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let current_session = principal.session()?.id;
    let changed = password_change::change(
        &state.db,
        principal.user(),
        current_session,
        principal.user_key().ok(),
        body.into_inner(),
        state.auth.policy.password_min_length,
        &principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

/// The signed-in user's sessions, newest first.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Open sessions", body = Vec<SessionInfo>),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[get("/api/v1/auth/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    let current = principal.session()?.id;
    let sessions = sessions::list(&state.db, principal.user().id, current).await?;
    Ok(HttpResponse::Ok().json(sessions))
}

/// Wrong passwords tried on the signed-in user's account in the last 30 days (at most 50),
/// newest first, with the address each came from.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Failed sign-ins", body = Vec<FailedSignIn>),
        (status = 403, description = "An API token: this is for people signed in"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[get("/api/v1/auth/failed-sign-ins")]
pub async fn list_failed_sign_ins(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    // A person's own account screen, like their sessions: not for an integrator's token.
    principal.session()?;
    let failed = failed_sign_ins::recent(&state.db, principal.user()).await?;
    Ok(HttpResponse::Ok().json(failed))
}

/// Ends one of the signed-in user's sessions (another device, or this one).
#[utoipa::path(
    tag = "auth",
    params(("id" = Uuid, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such session of this user"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
#[delete("/api/v1/auth/sessions/{id}")]
pub async fn end_session(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let current = principal.session()?.id;
    sessions::end(&state.db, principal.user(), id, &principal.actor()).await?;
    let mut response = HttpResponse::NoContent();
    if id == current {
        response.cookie(cookies::removal_cookie());
    }
    Ok(response.finish())
}
