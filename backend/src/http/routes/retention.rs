//! `/api/v1/tenants/{tenant}/retention` and `…/holds`: how long the tenant keeps its
//! recordings, and the legal holds that keep some whatever the policy says.

use actix_web::{HttpResponse, get, post, put, web};
use callvault_shared::api::{
    HeldRecordings, HoldCriteria, LegalHold, NewLegalHold, PendingPolicy, RetentionPreview,
    RetentionSettings, RetentionUpdate,
};
use chrono::Utc;
use uuid::Uuid;

use crate::domain::recordings;
use crate::domain::retention::holds::{self, NewHold};
use crate::domain::retention::policy::{self, Policies};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;

fn settings(policies: Policies) -> RetentionSettings {
    RetentionSettings {
        policy: policies.in_force,
        pending: policies
            .pending
            .map(|(policy, from)| PendingPolicy { policy, from }),
        grace_days: policies.grace_days,
    }
}

/// The tenant's retention policy, and a shortened one waiting out its grace period.
#[utoipa::path(
    tag = "retention",
    params(TenantPath),
    responses((status = 200, description = "The policy in force, and any pending one", body = RetentionSettings)),
    security(("bearer" = ["tenant_read"]), ("session_cookie" = ["tenant_read"]))
)]
#[get("/api/v1/tenants/{tenant}/retention")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::TenantRead>,
) -> Result<HttpResponse, ApiError> {
    let policies = policy::show(&state.db, access.tenant.id, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(settings(policies)))
}

/// Sets the policy. One that keeps some recordings for less time than the policy in force
/// waits out the grace period first (`pending`); setting the old policy again meanwhile undoes
/// it. Audited.
#[utoipa::path(
    tag = "retention",
    params(TenantPath),
    request_body = RetentionUpdate,
    responses(
        (status = 200, description = "Set; a shortening is in `pending` until its grace ends", body = RetentionSettings),
        (status = 400, description = "Days out of range, or a rule that names nothing"),
    ),
    security(("bearer" = ["tenant_update"]), ("session_cookie" = ["tenant_update"]))
)]
#[put("/api/v1/tenants/{tenant}/retention")]
pub async fn update(
    state: web::Data<AppState>,
    access: InTenant<need::TenantUpdate>,
    body: Json<RetentionUpdate>,
) -> Result<HttpResponse, ApiError> {
    let RetentionUpdate {
        policy: wanted,
        grace_days,
    } = body.into_inner();
    let policies = policy::set(
        &state.db,
        &access.tenant,
        wanted,
        grace_days,
        &access.actor(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(settings(policies)))
}

/// How many recordings a policy would delete that the policy in force keeps, counted when it
/// would apply (after the grace period, if it shortens); held recordings are not counted.
/// Nothing is saved.
#[utoipa::path(
    tag = "retention",
    params(TenantPath),
    request_body = RetentionUpdate,
    responses(
        (status = 200, description = "What saving this policy would delete", body = RetentionPreview),
        (status = 400, description = "Days out of range, or a rule that names nothing"),
    ),
    security(("bearer" = ["tenant_update"]), ("session_cookie" = ["tenant_update"]))
)]
#[post("/api/v1/tenants/{tenant}/retention/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    access: InTenant<need::TenantUpdate>,
    body: Json<RetentionUpdate>,
) -> Result<HttpResponse, ApiError> {
    let RetentionUpdate {
        policy: wanted,
        grace_days,
    } = body.into_inner();
    let preview =
        policy::preview_change(&state.db, access.tenant.id, &wanted, grace_days, Utc::now())
            .await?;
    Ok(HttpResponse::Ok().json(preview))
}

/// The tenant's legal holds, newest first, released ones included.
#[utoipa::path(
    tag = "retention",
    params(TenantPath),
    responses((status = 200, description = "Holds, with what each covers", body = Vec<LegalHold>)),
    security(("bearer" = ["holds_manage"]), ("session_cookie" = ["holds_manage"]))
)]
#[get("/api/v1/tenants/{tenant}/holds")]
pub async fn list_holds(
    state: web::Data<AppState>,
    access: InTenant<need::HoldsManage>,
) -> Result<HttpResponse, ApiError> {
    let holds = holds::list(&state.db, access.tenant.id)
        .await?
        .into_iter()
        .map(holds::to_api)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(holds))
}

/// Places a legal hold on recordings chosen by id, by a saved search, or both: none of them
/// is deleted while it is in force, by retention, by a person or by destroying its key.
/// Audited.
#[utoipa::path(
    tag = "retention",
    params(TenantPath),
    request_body = NewLegalHold,
    responses(
        (status = 201, description = "Placed", body = LegalHold),
        (status = 400, description = "No name or reason, or criteria that choose nothing"),
    ),
    security(("bearer" = ["holds_manage"]), ("session_cookie" = ["holds_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/holds")]
pub async fn place_hold(
    state: web::Data<AppState>,
    access: InTenant<need::HoldsManage>,
    body: Json<NewLegalHold>,
) -> Result<HttpResponse, ApiError> {
    let NewLegalHold {
        name,
        reason,
        recording_ids,
        search,
    } = body.into_inner();
    let criteria = HoldCriteria {
        recording_ids,
        search,
    };
    let hold = holds::place(
        &state.db,
        &access.tenant,
        NewHold {
            name,
            reason,
            criteria,
        },
        &access.actor(),
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(holds::to_api(hold)?))
}

/// Releases a hold: what it covered is again subject to retention and deletion. The hold stays
/// on record. Audited.
#[utoipa::path(
    tag = "retention",
    params(TenantPath, ("id" = Uuid, Path, description = "The hold's id")),
    responses(
        (status = 200, description = "Released", body = LegalHold),
        (status = 404, description = "No such hold in this tenant"),
        (status = 409, description = "Released already"),
    ),
    security(("bearer" = ["holds_manage"]), ("session_cookie" = ["holds_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/holds/{id}/release")]
pub async fn release_hold(
    state: web::Data<AppState>,
    access: InTenant<need::HoldsManage>,
    id: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = id.into_inner();
    let hold = holds::release(&state.db, &access.tenant, id, &access.actor(), Utc::now()).await?;
    Ok(HttpResponse::Ok().json(holds::to_api(hold)?))
}

/// The recordings a hold covers today, newest first (the first 200, and how many in all). A
/// released hold covers none.
#[utoipa::path(
    tag = "retention",
    params(TenantPath, ("id" = Uuid, Path, description = "The hold's id")),
    responses(
        (status = 200, description = "What the hold keeps", body = HeldRecordings),
        (status = 404, description = "No such hold in this tenant"),
    ),
    security(("bearer" = ["holds_manage"]), ("session_cookie" = ["holds_manage"]))
)]
#[get("/api/v1/tenants/{tenant}/holds/{id}/recordings")]
pub async fn held_recordings(
    state: web::Data<AppState>,
    access: InTenant<need::HoldsManage>,
    id: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = id.into_inner();
    let (total, rows) =
        holds::covered(&state.db, access.tenant.id, id, HeldRecordings::SHOWN).await?;
    Ok(HttpResponse::Ok().json(HeldRecordings {
        total,
        recordings: rows.into_iter().map(recordings::to_api).collect(),
    }))
}
