//! `/api/v1/tenants`: the provider's tenants. Provider staff see and act in all of them; any
//! other user sees only their own.

use actix_web::{HttpResponse, get, patch, post, web};
use callvault_shared::api::{NewTenant, Permission, Tenant, TenantUpdate};

use crate::domain::tenants;
use crate::http::error::ApiError;
use crate::http::guards::access::{Allowed, InTenant, need, refusal};
use crate::http::guards::principal::Principal;
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// The tenants the caller may see: all of them for provider staff, else their own.
#[utoipa::path(
    tag = "tenants",
    responses(
        (status = 200, description = "Tenants, by slug", body = Vec<Tenant>),
    ),
    security(("bearer" = ["tenant_read"]), ("session_cookie" = ["tenant_read"]))
)]
#[get("/api/v1/tenants")]
pub async fn list(
    state: web::Data<AppState>,
    principal: Principal,
) -> Result<HttpResponse, ApiError> {
    if !principal.allows(Permission::TenantRead) {
        return Err(refusal(&principal, Permission::TenantRead));
    }
    let tenants = tenants::visible(&state.db, principal.user(), principal.token_tenant()).await?;
    Ok(HttpResponse::Ok().json(tenants))
}

/// Creates a tenant (provider staff only).
#[utoipa::path(
    tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = Tenant),
        (status = 400, description = "Invalid slug or name"),
        (status = 403, description = "Only provider staff create tenants"),
        (status = 409, description = "The slug is taken"),
    ),
    security(("bearer" = ["tenant_create"]), ("session_cookie" = ["tenant_create"]))
)]
#[post("/api/v1/tenants")]
pub async fn create(
    state: web::Data<AppState>,
    access: Allowed<need::TenantCreate>,
    body: Json<NewTenant>,
) -> Result<HttpResponse, ApiError> {
    let created = tenants::create(
        &state.db,
        body.into_inner(),
        access.principal.user().tenant_id,
        &access.principal.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(created.to_api()))
}

/// One tenant, by id or slug.
#[utoipa::path(
    tag = "tenants",
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant", body = Tenant),
    ),
    security(("bearer" = ["tenant_read"]), ("session_cookie" = ["tenant_read"]))
)]
#[get("/api/v1/tenants/{tenant}")]
pub async fn show(access: InTenant<need::TenantRead>) -> HttpResponse {
    HttpResponse::Ok().json(access.tenant.to_api())
}

/// Renames a tenant.
#[utoipa::path(
    tag = "tenants",
    params(TenantPath),
    request_body = TenantUpdate,
    responses(
        (status = 200, description = "The changed tenant", body = Tenant),
        (status = 400, description = "Invalid name"),
    ),
    security(("bearer" = ["tenant_update"]), ("session_cookie" = ["tenant_update"]))
)]
#[patch("/api/v1/tenants/{tenant}")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::TenantUpdate>,
    body: Json<TenantUpdate>,
) -> Result<HttpResponse, ApiError> {
    let updated = tenants::update(
        &state.db,
        &access.tenant,
        body.into_inner(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(updated.to_api()))
}
