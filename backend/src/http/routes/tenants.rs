//! `/api/v1/tenants`: the provider's tenants. Provider staff see and act in all of them; any
//! other user sees only their own.

use actix_web::{HttpResponse, get, patch, post, web};
use callvault_shared::api::{NewTenant, Permission, Tenant, TenantUpdate};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, QueryOrder};
use uuid::Uuid;

use crate::domain::accounts::is_unique_violation;
use crate::domain::audit::{self, AuditEntry};
use crate::http::error::ApiError;
use crate::http::guards::access::{Allowed, InTenant, need, refusal};
use crate::http::guards::principal::Principal;
use crate::http::json::Json;
use crate::http::openapi::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::tenant;

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
    let tenants = if let Some(token_tenant) = principal.token_tenant() {
        tenant::Entity::find_by_id(token_tenant)
            .all(&state.db)
            .await?
    } else if principal.role().is_provider_staff() {
        tenant::Entity::find()
            .order_by_asc(tenant::Column::Slug)
            .all(&state.db)
            .await?
    } else {
        tenant::Entity::find_by_id(principal.user().tenant_id)
            .all(&state.db)
            .await?
    };
    Ok(HttpResponse::Ok().json(
        tenants
            .iter()
            .map(tenant::Model::to_api)
            .collect::<Vec<_>>(),
    ))
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
    let NewTenant { slug, name } = body.into_inner();
    check_slug(&slug)?;
    let name = check_name(&name)?;
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let created = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.clone()),
        name: Set(name),
        created_at: Set(Utc::now()),
        // The audit chain starts empty; encryption starts off, provider-held, without a key.
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ApiError::Conflict(format!("the slug {slug:?} is taken"))
        } else {
            error.into()
        }
    })?;
    let actor = access.principal.actor();
    // Recorded in the provider's log and, as its first record, in the new tenant's.
    audit::record(
        &txn,
        AuditEntry::new(access.principal.user().tenant_id, &actor, "tenant.create")
            .object("tenant", created.id)
            .details(serde_json::json!({ "slug": created.slug })),
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new(created.id, &actor, "tenant.create")
            .object("tenant", created.id)
            .details(serde_json::json!({ "slug": created.slug })),
    )
    .await?;
    txn.commit().await?;
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
    let TenantUpdate { name } = body.into_inner();
    let Some(name) = name else {
        return Ok(HttpResponse::Ok().json(access.tenant.to_api()));
    };
    let name = check_name(&name)?;
    let before = access.tenant.name.clone();
    let mut row = access.tenant.clone().into_active_model();
    row.name = Set(name);
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(updated.id, &access.actor(), "tenant.update")
            .object("tenant", updated.id)
            .details(serde_json::json!({ "name": { "from": before, "to": updated.name } })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(updated.to_api()))
}

/// Slugs appear in paths beside ids, so they must never look like one.
fn check_slug(slug: &str) -> Result<(), ApiError> {
    let valid = (2..=63).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.ends_with('-')
        && Uuid::try_parse(slug).is_err();
    if valid {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{slug:?} is not a valid slug: 2 to 63 of a-z, 0-9 and '-', starting with a letter and not ending with '-'"
        )))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    // Measured as sent, as the document's maxLength is: trimming comes after.
    let too_long = name.chars().count() > 200;
    let name = name.trim();
    if name.is_empty() || too_long || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "the name must have 1 to 200 characters and no control characters".into(),
        ));
    }
    Ok(name.to_owned())
}
