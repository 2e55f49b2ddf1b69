//! `/api/v1/tenants/{tenant}/tokens`: integrators' API tokens. A token acts as the user who
//! created it, within this tenant and its scopes; its secret is shown once, at creation.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, delete, get, post, web};
use callvault_shared::api::{ApiToken, CreatedApiToken, NewApiToken, TokenScope};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry};
use crate::domain::auth::api_token::{self, Issue};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::{api_token as token_row, user};

const DEFAULT_DAYS: u32 = 90;
const MAX_DAYS: u32 = 730;
const MAX_NAME: usize = 100;

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
    let rows = token_row::Entity::find()
        .filter(token_row::Column::TenantId.eq(access.tenant.id))
        .find_also_related(user::Entity)
        .order_by_desc(token_row::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(
        rows.iter()
            .map(|(token, user)| {
                api_token::to_api(token, user.as_ref().map_or("", |u| u.username.as_str()))
            })
            .collect::<Vec<_>>(),
    ))
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
    let NewApiToken {
        name,
        scopes,
        expires_in_days,
    } = body.into_inner();
    // Measured as sent, as the document's maxLength is: trimming comes after.
    let too_long = name.chars().count() > MAX_NAME;
    let name = name.trim().to_owned();
    if name.is_empty() || too_long || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "a token's name is 1 to {MAX_NAME} printable characters"
        )));
    }
    let scopes: BTreeSet<TokenScope> = scopes.into_iter().collect();
    if scopes.is_empty() {
        return Err(ApiError::BadRequest(
            "give the token at least one scope".into(),
        ));
    }
    let days = expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "expires_in_days is 1 to {MAX_DAYS}"
        )));
    }
    let principal = &access.principal;
    let role = principal.role();
    if let Some(scope) = scopes
        .iter()
        .find(|scope| !scope.permissions().iter().all(|p| role.allows(*p)))
    {
        return Err(ApiError::Forbidden(format!(
            "the role {role} does not allow what the scope {scope} does, so its tokens cannot either"
        )));
    }
    let user_key =
        if scopes.contains(&TokenScope::Play) {
            Some(principal.user_key().map_err(|_| {
                ApiError::Unauthorized("the session has ended; sign in again".into())
            })?)
        } else {
            None
        };
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let (row, secret) = api_token::issue(
        &txn,
        Issue {
            tenant_id: access.tenant.id,
            user: principal.user(),
            name,
            scopes: scopes.into_iter().collect(),
            lifetime: Duration::days(i64::from(days)),
            user_key,
        },
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "token.create")
            .object("token", row.id)
            .details(serde_json::json!({
                "name": row.name,
                "scopes": row.scopes(),
                "expires_at": row.expires_at,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CreatedApiToken {
            secret,
            token: api_token::to_api(&row, &principal.user().username),
        }))
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
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let revoked = token_row::Entity::delete_many()
        .filter(token_row::Column::Id.eq(id))
        .filter(token_row::Column::TenantId.eq(access.tenant.id))
        .exec(&txn)
        .await?
        .rows_affected;
    if revoked == 0 {
        return Err(ApiError::NotFound(format!("no token {id} in this tenant")));
    }
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "token.revoke").object("token", id),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
