//! `/api/v1/tenants/{tenant}/users`: a tenant's users. Every query names the tenant from the
//! guard, so that a user of another tenant is simply not found.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use callvault_shared::api::{NewUser, PasswordReset, PasswordResetOutcome, Role, User, UserUpdate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    ModelTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::{self, NewAccount, RESET_NOTICE};
use crate::domain::audit::{self, AuditEntry};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::guards::principal::Principal;
use crate::http::json::Json;
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::{encryption_key, key_grant, tenant, user};

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
    let users = user::Entity::find()
        .filter(user::Column::TenantId.eq(access.tenant.id))
        .order_by_asc(user::Column::Username)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(users.iter().map(user::Model::to_api).collect::<Vec<_>>()))
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
    let NewUser {
        username,
        password,
        role,
    } = body.into_inner();
    may_assign(&access.principal, role)?;
    let prepared = accounts::prepare(
        &state.db,
        &access.tenant,
        NewAccount {
            username,
            password: Zeroizing::new(password),
            role,
        },
        state.auth.policy.password_min_length,
    )
    .await?;
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let created = accounts::insert(&txn, prepared).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "user.create")
            .object("user", created.id)
            .details(serde_json::json!({ "username": created.username, "role": role })),
    )
    .await?;
    txn.commit().await?;
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
    let user = find_in_tenant(&state.db, &access.tenant, path.1).await?;
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
    let target = find_in_tenant(&state.db, &access.tenant, path.1).await?;
    may_manage(&access.principal, &target)?;
    let Some(role) = body.into_inner().role else {
        return Ok(HttpResponse::Ok().json(target.to_api()));
    };
    may_assign(&access.principal, role)?;
    accounts::check_role_fits_tenant(role, &access.tenant)?;
    not_self(&access.principal, &target, "change your own role")?;
    keeps_a_root(&state.db, &target).await?;
    let before = target.role();
    let mut row = target.into_active_model();
    row.role = Set(role.as_str().to_owned());
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "user.update")
            .object("user", updated.id)
            .details(serde_json::json!({ "role": { "from": before, "to": role } })),
    )
    .await?;
    txn.commit().await?;
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
    let target = find_in_tenant(&state.db, &access.tenant, path.1).await?;
    may_manage(&access.principal, &target)?;
    not_self(&access.principal, &target, "delete your own account")?;
    keeps_a_root(&state.db, &target).await?;
    let held: Vec<Uuid> = key_grant::Entity::find()
        .filter(key_grant::Column::UserId.eq(target.id))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|grant| grant.key_id)
        .collect();
    let held_keys = encryption_key::Entity::find()
        .filter(encryption_key::Column::Id.is_in(held))
        .all(&state.db)
        .await?;
    crate::domain::encryption_keys::keep_a_holder(&state.db, &held_keys, target.id).await?;
    let (id, username) = (target.id, target.username.clone());
    // Sessions go with the row (ON DELETE CASCADE).
    let txn = crate::infra::database::begin_write(&state.db).await?;
    target.delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "user.delete")
            .object("user", id)
            .details(serde_json::json!({ "username": username })),
    )
    .await?;
    txn.commit().await?;
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
    let target = find_in_tenant(&state.db, &access.tenant, path.1).await?;
    may_manage(&access.principal, &target)?;
    not_self(
        &access.principal,
        &target,
        "reset your own password (change it at POST /api/v1/auth/password, which keeps your keys)",
    )?;
    let prepared = accounts::prepare_reset(
        target,
        Zeroizing::new(body.into_inner().password),
        state.auth.policy.password_min_length,
    )
    .await?;
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let outcome = accounts::apply_reset(&txn, prepared).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "user.password_reset")
            .object("user", outcome.user.id)
            .details(serde_json::json!({
                "username": outcome.user.username,
                "grants_removed": outcome.grants_removed,
                "sessions_ended": outcome.sessions_ended,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(PasswordResetOutcome {
        user: outcome.user.to_api(),
        grants_removed: outcome.grants_removed,
        sessions_ended: outcome.sessions_ended,
        notice: RESET_NOTICE.into(),
    }))
}

/// A user of exactly this tenant; any other is missing.
async fn find_in_tenant(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<user::Model, ApiError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::TenantId.eq(tenant.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {id} in this tenant")))
}

fn may_assign(principal: &Principal, role: Role) -> Result<(), ApiError> {
    if principal.role().may_assign(role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "the role {} may not give the role {role}",
            principal.role()
        )))
    }
}

/// Whoever may not give a role may not manage its holders either.
fn may_manage(principal: &Principal, target: &user::Model) -> Result<(), ApiError> {
    if principal.role().may_assign(target.role()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "the role {} may not manage a user with the role {}",
            principal.role(),
            target.role()
        )))
    }
}

fn not_self(principal: &Principal, target: &user::Model, what: &str) -> Result<(), ApiError> {
    if principal.user().id == target.id {
        Err(ApiError::Conflict(format!("you cannot {what}")))
    } else {
        Ok(())
    }
}

/// The instance must keep at least one root administrator.
async fn keeps_a_root(db: &impl ConnectionTrait, target: &user::Model) -> Result<(), ApiError> {
    if target.role() != Role::Root {
        return Ok(());
    }
    let roots = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Root.as_str()))
        .count(db)
        .await?;
    if roots <= 1 {
        return Err(ApiError::Conflict(
            "this is the last root administrator; make another one first".into(),
        ));
    }
    Ok(())
}
