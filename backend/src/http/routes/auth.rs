//! `/api/v1/auth`: login, logout, the current user, access-token renewal, password change,
//! and the user's own sessions.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use callvault_shared::api::{
    AccessToken, AuditOutcome, LoginRequest, LoginResponse, Me, PasswordChange, PasswordChanged,
    Permission, SessionInfo,
};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::{password_policy, user_key};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::auth::session as sessions;
use crate::domain::auth::throttle;
use crate::http::error::ApiError;
use crate::http::guards::cookies;
use crate::http::guards::principal::{Principal, origin_of};
use crate::http::json::Json;
use crate::http::state::AppState;
use crate::infra::entities::{session, tenant, user};
use crate::infra::password;

const WRONG_CREDENTIALS: &str = "wrong username or password";

/// Signs in. The browser keeps the session cookie; API clients use `access_token`.
///
/// After 10 failures within 15 minutes for one username (whether it exists or not) or from one
/// address, further attempts answer 429 for 15 minutes.
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
    let LoginRequest { username, password } = body.into_inner();
    let password = Zeroizing::new(password);
    let origin = origin_of(&request);
    let subjects = [throttle::account(&username), throttle::address(&origin)];
    let user = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(&state.db)
        .await?;
    let log_tenant = match &user {
        Some(user) => user.tenant_id,
        None => system_tenant_id(&state).await?,
    };
    let actor = Actor {
        id: user.as_ref().map(|user| user.id),
        name: username.clone(),
        origin: origin.clone(),
    };

    if let Some(until) = throttle::locked_until(&state.db, &subjects).await? {
        audit::record(
            &state.db,
            AuditEntry::new(log_tenant, &actor, "auth.login")
                .outcome(AuditOutcome::Denied)
                .details(serde_json::json!({ "reason": "locked" })),
        )
        .await?;
        let retry_after_secs = (until - Utc::now()).num_seconds().max(1) as u64;
        return Err(ApiError::TooManyRequests {
            detail: format!(
                "too many failed sign-ins; try again in {} minutes",
                retry_after_secs.div_ceil(60)
            ),
            retry_after_secs,
        });
    }

    let verified = password::verify(
        user.as_ref().map(|user| user.password_hash.clone()),
        password.clone(),
    )
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        for subject in subjects {
            throttle::record_failure(&state.db, subject).await?;
        }
        audit::record(
            &state.db,
            AuditEntry::new(log_tenant, &actor, "auth.login")
                .outcome(AuditOutcome::Denied)
                .details(serde_json::json!({ "reason": "wrong credentials" })),
        )
        .await?;
        return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.into()));
    };
    let [account, _] = subjects;
    throttle::clear(&state.db, account).await?;

    let (user, user_key) = unlock_user_key(&state, user, password).await?;
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let opened = sessions::open(&txn, &state.auth, &user, &user_key, &origin, user_agent).await?;
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, &actor, "auth.login").object("session", opened.row.id),
    )
    .await?;
    txn.commit().await?;
    let body = LoginResponse {
        access_token: opened.access_token,
        expires_at: opened.access_token_expires_at,
        user: user.to_api(),
        session: sessions::info(&opened.row, opened.row.id),
        csrf_token: opened.secret.csrf_token()?,
    };
    Ok(HttpResponse::Ok()
        .cookie(cookies::cookie(
            opened.row.id,
            &opened.secret,
            state.auth.policy.session_lifetime,
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// Opens the user key with the password; a user from before user keys gets one now.
async fn unlock_user_key(
    state: &AppState,
    user: user::Model,
    password: Zeroizing<String>,
) -> Result<(user::Model, callvault_shared::crypto::SecretBytes), ApiError> {
    match user.sealed_private_key.clone() {
        Some(sealed) => {
            let key = user_key::open(user.id, sealed, password)
                .await?
                .map_err(|_| {
                    ApiError::internal(anyhow::anyhow!(
                        "user {}: the password verified but does not open the user key",
                        user.id
                    ))
                })?;
            Ok((user, key))
        }
        None => {
            let (stored, key) = user_key::generate(user.id, password).await?;
            let mut row = user.into_active_model();
            row.public_key = Set(Some(stored.public_key));
            row.sealed_private_key = Set(Some(stored.sealed_private_key));
            Ok((row.update(&state.db).await?, key))
        }
    }
}

async fn system_tenant_id(state: &AppState) -> Result<Uuid, ApiError> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(&state.db)
        .await?
        .map(|tenant| tenant.id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the System account is missing")))
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
    let txn = crate::infra::database::begin_write(&state.db).await?;
    session.clone().delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(
            principal.user().tenant_id,
            &principal.actor(),
            "auth.logout",
        )
        .object("session", session.id),
    )
    .await?;
    txn.commit().await?;
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
    let tenant = tenant::Entity::find_by_id(principal.user().tenant_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a user without a tenant")))?;
    let role = principal.role();
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Me {
            user: principal.user().to_api(),
            tenant: tenant.to_api(),
            session: sessions::info(session, session.id),
            permissions: Permission::ALL
                .into_iter()
                .filter(|permission| role.allows(*permission))
                .collect(),
            csrf_token: principal.secret().csrf_token()?,
        }))
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
    let (access_token, expires_at) = state.auth.tokens.issue(
        principal.user().id,
        session.id,
        principal.secret(),
        session.expires_at,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(AccessToken {
            access_token,
            expires_at,
        }))
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
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    let current_session = principal.session()?.id;
    let (current, new) = (
        Zeroizing::new(current_password),
        Zeroizing::new(new_password),
    );
    password_policy::check(&new, state.auth.policy.password_min_length)
        .map_err(ApiError::BadRequest)?;
    let user = principal.user().clone();
    let actor = principal.actor();
    if !password::verify(Some(user.password_hash.clone()), current).await? {
        audit::record(
            &state.db,
            AuditEntry::new(user.tenant_id, &actor, "auth.password_change")
                .outcome(AuditOutcome::Denied),
        )
        .await?;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    // The session already holds the user key: no need to open it with the old password.
    let private_key = principal
        .user_key()
        .map_err(|_| ApiError::Unauthorized("the session has ended; sign in again".into()))?;
    let sealed = user_key::reseal(user.id, private_key, new.clone()).await?;
    let password_hash = password::hash(new).await?;

    let txn = crate::infra::database::begin_write(&state.db).await?;
    let mut row = user.clone().into_active_model();
    row.password_hash = Set(password_hash);
    row.sealed_private_key = Set(Some(sealed));
    row.password_changed_at = Set(Some(Utc::now()));
    row.update(&txn).await?;
    let sessions_ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::Id.ne(current_session))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, &actor, "auth.password_change")
            .object("user", user.id)
            .details(serde_json::json!({ "sessions_ended": sessions_ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(PasswordChanged { sessions_ended }))
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
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(principal.user().id))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let current = principal.session()?.id;
    Ok(HttpResponse::Ok().json(
        rows.iter()
            .map(|row| sessions::info(row, current))
            .collect::<Vec<_>>(),
    ))
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
    // Scoped by the user: someone else's session is a missing one.
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let ended = session::Entity::delete_many()
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::UserId.eq(principal.user().id))
        .exec(&txn)
        .await?
        .rows_affected;
    if ended == 0 {
        return Err(ApiError::NotFound(format!("no session {id}")));
    }
    audit::record(
        &txn,
        AuditEntry::new(
            principal.user().tenant_id,
            &principal.actor(),
            "auth.session_end",
        )
        .object("session", id),
    )
    .await?;
    txn.commit().await?;
    let mut response = HttpResponse::NoContent();
    if id == current {
        response.cookie(cookies::removal_cookie());
    }
    Ok(response.finish())
}
