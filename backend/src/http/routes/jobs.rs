//! Re-wrapping recordings to the active key, and background jobs' progress.

use actix_web::{HttpResponse, get, post, web};
use callvault_shared::api::{Job, Permission};
use uuid::Uuid;

use crate::domain::jobs::{self, rewrap};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need, refusal, visible_tenant};
use crate::http::guards::principal::Principal;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

/// Re-wraps every sealed recording of the tenant from older keys to the active key, in the
/// background: headers only, the audio bytes are not re-encrypted. The caller lends the job the
/// old keys through their own grants (recordings under a key they do not hold are left as they
/// are). Calling it again resumes an interrupted job.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 202, description = "Started or resumed; follow it at `GET /api/v1/jobs/{id}`", body = Job),
        (status = 409, description = "No active key, or the job runs on another instance"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/rewrap")]
pub async fn start_rewrap(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
) -> Result<HttpResponse, ApiError> {
    let job = rewrap::start(
        &state.db,
        &state.store,
        &access.tenant,
        &access.principal.holder(),
        &access.actor(),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(job))
}

/// A background job's progress.
#[utoipa::path(
    operation_id = "show_job",
    tag = "keys",
    params(("id" = Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 404, description = "No such job in a tenant the caller may see"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/jobs/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let job = jobs::show(&state.db, id).await?;
    // The job's tenant, as the tenant guard would judge it: invisible is missing.
    visible_tenant(&state.db, None, &principal, &job.tenant_id.to_string())
        .await
        .map_err(|_| ApiError::from(jobs::not_found(id)))?;
    if !principal.allows(Permission::KeysRead) {
        return Err(refusal(&principal, Permission::KeysRead));
    }
    Ok(HttpResponse::Ok().json(job))
}
