//! `/api/v1/tenants/{tenant}/users`: a tenant's users. Every query names the tenant from the
//! guard, so that a user of another tenant is simply not found.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use callvault_shared::api::{NewUser, PasswordReset, PasswordResetOutcome, User, UserUpdate};
use uuid::Uuid;

use crate::domain::accounts::users;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// The tenant's users, by username.
#[utoipa::path(
    tag = "users",
    params(TenantPath),
    responses(
        (status = 200, description = "Users", body = Vec<User>),
    ),
    security(("bearer" = ["users_read"]), ("session_cookie" = ["users_read"]))
)]
#[get("/api/v1/tenants/{tenant}/users")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::UsersRead>,
) -> Result<HttpResponse, ApiError> {
    let users = users::list(&state.db, &access.tenant).await?;
    Ok(HttpResponse::Ok().json(users))
}

/// Creates a user with their own key pair. Usernames are unique across the instance.
#[utoipa::path(
    tag = "users",
    params(TenantPath),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User),
        (status = 400, description = "Invalid username, refused password, or a role that does not fit the tenant"),
        (status = 403, description = "The role does not allow it, or may not give that role"),
        (status = 409, description = "The username is taken"),
    ),
    security(("bearer" = ["users_manage"]), ("session_cookie" = ["users_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/users")]
pub async fn create(
    state: web::Data<AppState>,
    access: InTenant<need::UsersManage>,
    body: Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let created = users::create(
        &state.db,
        &access.tenant,
        access.principal.user(),
        body.into_inner(),
        state.auth.policy.password_min_length,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created.to_api()))
}

/// One user of the tenant.
#[utoipa::path(
    tag = "users",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The user's id"),
    ),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user in this tenant"),
    ),
    security(("bearer" = ["users_read"]), ("session_cookie" = ["users_read"]))
)]
#[get("/api/v1/tenants/{tenant}/users/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::UsersRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let user = users::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(user.to_api()))
}

/// Changes a user's role.
#[utoipa::path(
    tag = "users",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The user's id"),
    ),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 400, description = "A role that does not fit the tenant"),
        (status = 404, description = "No such user in this tenant"),
        (status = 409, description = "A change to one's own account, or of the last root administrator"),
    ),
    security(("bearer" = ["users_manage"]), ("session_cookie" = ["users_manage"]))
)]
#[patch("/api/v1/tenants/{tenant}/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::UsersManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<UserUpdate>,
) -> Result<HttpResponse, ApiError> {
    let updated = users::update(
        &state.db,
        &access.tenant,
        access.principal.user(),
        path.1,
        body.into_inner(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated.to_api()))
}

/// Deletes a user, their sessions and their grants.
#[utoipa::path(
    tag = "users",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The user's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user in this tenant"),
        (status = 409, description = "One's own account, or the last root administrator"),
    ),
    security(("bearer" = ["users_manage"]), ("session_cookie" = ["users_manage"]))
)]
#[delete("/api/v1/tenants/{tenant}/users/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    access: InTenant<need::UsersManage>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    users::remove(
        &state.db,
        &access.tenant,
        access.principal.user(),
        path.1,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a new password for a user who lost theirs. This gives them a new key pair: the keys
/// they were granted are lost to them until someone who holds each grants it again.
#[utoipa::path(
    tag = "users",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The user's id"),
    ),
    request_body = PasswordReset,
    responses(
        (status = 200, description = "Reset; read `notice`", body = PasswordResetOutcome),
        (status = 400, description = "The password is refused (the detail says why)"),
        (status = 404, description = "No such user in this tenant"),
        (status = 409, description = "One's own account: change the password instead"),
    ),
    security(("bearer" = ["users_manage"]), ("session_cookie" = ["users_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    access: InTenant<need::UsersManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<PasswordReset>,
) -> Result<HttpResponse, ApiError> {
    let outcome = users::reset_password(
        &state.db,
        &access.tenant,
        access.principal.user(),
        path.1,
        body.into_inner(),
        state.auth.policy.password_min_length,
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(outcome))
}
