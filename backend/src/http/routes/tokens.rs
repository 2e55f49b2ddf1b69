//! `/api/v1/tenants/{tenant}/tokens`: integrators' API tokens. A token acts as the user who
//! created it, within this tenant and its scopes; its secret is shown once, at creation.

use actix_web::{HttpResponse, delete, get, post, web};
use callvault_shared::api::{ApiToken, CreatedApiToken, NewApiToken};
use uuid::Uuid;

use crate::domain::auth::api_token;
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// The tenant's API tokens, newest first, expired ones included until they are revoked.
#[utoipa::path(
    tag = "tokens",
    params(TenantPath),
    responses((status = 200, description = "Tokens, without their secrets", body = Vec<ApiToken>)),
    security(("bearer" = ["tokens_manage"]), ("session_cookie" = ["tokens_manage"]))
)]
#[get("/api/v1/tenants/{tenant}/tokens")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::TokensManage>,
) -> Result<HttpResponse, ApiError> {
    let tokens = api_token::list(&state.db, access.tenant.id).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Creates a token that acts as the caller, in this tenant, limited to its scopes and to
/// what the caller's role allows at each request. A `play` token carries the caller's key,
/// so it plays what the caller's grants open. The secret is in this answer only.
#[utoipa::path(
    tag = "tokens",
    params(TenantPath),
    request_body = NewApiToken,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedApiToken),
        (status = 400, description = "No scope, a bad name, or an expiry out of range"),
        (status = 403, description = "The role does not allow it, or does not allow a scope asked for"),
    ),
    security(("bearer" = ["tokens_manage"]), ("session_cookie" = ["tokens_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/tokens")]
pub async fn create(
    state: web::Data<AppState>,
    access: InTenant<need::TokensManage>,
    body: Json<NewApiToken>,
) -> Result<HttpResponse, ApiError> {
    let principal = &access.principal;
    let created = api_token::create(
        &state.db,
        access.tenant.id,
        principal.user(),
        principal.user_key().ok(),
        body.into_inner(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// Revokes a token at once, on every instance.
#[utoipa::path(
    tag = "tokens",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The token's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token in this tenant"),
    ),
    security(("bearer" = ["tokens_manage"]), ("session_cookie" = ["tokens_manage"]))
)]
#[delete("/api/v1/tenants/{tenant}/tokens/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    access: InTenant<need::TokensManage>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    api_token::revoke(&state.db, access.tenant.id, id, &access.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}
