//! Re-wrapping recordings to the active key, and background jobs' progress.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpResponse, get, post, web};
use callvault_shared::api::{Job, KeyOrigin, KeyState, Permission};
use callvault_shared::crypto::Native;
use callvault_shared::keys::RsaPublicKey;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry};
use crate::domain::encryption_keys::grants;
use crate::domain::jobs::{self, QUEUED, RUNNING, rewrap};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need, refusal, visible_tenant};
use crate::http::guards::principal::Principal;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::{encryption_key, job, recording};

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
    let tenant = &access.tenant;
    let target = match tenant.active_key_id {
        Some(id) => {
            encryption_key::Entity::find_by_id(id)
                .filter(encryption_key::Column::TenantId.eq(tenant.id))
                .one(&state.db)
                .await?
        }
        None => None,
    }
    .filter(|key| key.state == KeyState::Active.as_str())
    .ok_or_else(|| ApiError::Conflict("there is no active key to re-wrap to".into()))?;
    let target_public = RsaPublicKey::<Native>::from_spki_der(&target.public_key)
        .map_err(|error| ApiError::internal(anyhow::anyhow!("a stored public key: {error}")))?;

    // The old keys still sealing recordings, opened through the caller's grants.
    let source_ids: Vec<Uuid> = recording::Entity::find()
        .select_only()
        .column(recording::Column::KeyId)
        .distinct()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::Sealed.eq(true))
        .filter(recording::Column::KeyId.ne(target.id))
        .into_tuple::<Option<Uuid>>()
        .all(&state.db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut sources = HashMap::new();
    for id in &source_ids {
        let Some(key) = encryption_key::Entity::find_by_id(*id)
            .filter(encryption_key::Column::TenantId.eq(tenant.id))
            .one(&state.db)
            .await?
        else {
            continue;
        };
        if key.origin == KeyOrigin::PublicOnly.as_str() || key.state == KeyState::Destroyed.as_str()
        {
            continue;
        }
        if let Ok(private) = grants::open_for(&state.db, &access.principal.holder(), &key).await {
            sources.insert(key.id, private);
        }
    }
    let total = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::Sealed.eq(true))
        .filter(recording::Column::KeyId.is_in(sources.keys().copied()))
        .count(&state.db)
        .await?;

    // Resume the tenant's unfinished rewrap, or start one: the job, its lease and the audit
    // record commit together.
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let existing = job::Entity::find()
        .filter(job::Column::TenantId.eq(tenant.id))
        .filter(job::Column::Kind.eq(rewrap::KIND))
        .filter(job::Column::State.is_in([QUEUED, RUNNING]))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let row = match existing {
        Some(row) => {
            let done = row.done;
            let mut active = row.into_active_model();
            // What is left now, plus what was done before.
            active.total = sea_orm::ActiveValue::Set(done + total as i64);
            active.update(&txn).await?
        }
        None => {
            job::Model {
                id: Uuid::now_v7(),
                tenant_id: tenant.id,
                kind: rewrap::KIND.into(),
                state: QUEUED.into(),
                done: 0,
                total: total as i64,
                failed: 0,
                lease_owner: None,
                lease_expires_at: None,
                error: None,
                created_by: Some(access.principal.user().id),
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(&txn)
            .await?
        }
    };
    if !jobs::start_here(row.id) {
        txn.commit().await?;
        return Ok(HttpResponse::Accepted().json(jobs::to_api(&row)));
    }
    let claimed = match jobs::claim(&txn, row.id).await {
        Ok(claimed) => claimed,
        Err(error) => {
            jobs::stopped_here(row.id);
            return Err(error.into());
        }
    };
    if !claimed {
        jobs::stopped_here(row.id);
        txn.commit().await?;
        return Err(ApiError::Conflict(
            "this tenant's rewrap is running on another instance".into(),
        ));
    }
    let actor = access.actor();
    let recorded = audit::record(
        &txn,
        AuditEntry::new(tenant.id, &actor, "rewrap.start")
            .object("job", row.id)
            .details(serde_json::json!({
                "to": target.fingerprint,
                "recordings": total,
                "keys_lent": sources.len(),
            })),
    )
    .await;
    let committed = match recorded {
        Ok(()) => txn.commit().await,
        Err(error) => Err(error),
    };
    if let Err(error) = committed {
        jobs::stopped_here(row.id);
        return Err(error.into());
    }
    let keys = Arc::new(rewrap::RewrapKeys {
        target_id: target.id,
        target: target_public,
        sources,
    });
    tokio::spawn(rewrap::run(
        rewrap::Handles {
            db: state.db.clone(),
            store: state.store.clone(),
        },
        row.id,
        tenant.id,
        keys,
        actor,
    ));
    let row = job::Entity::find_by_id(row.id)
        .one(&state.db)
        .await?
        .unwrap_or(row);
    Ok(HttpResponse::Accepted().json(jobs::to_api(&row)))
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
    let missing = || ApiError::NotFound(format!("no job {id}"));
    let row = job::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(missing)?;
    // The job's tenant, as the tenant guard would judge it: invisible is missing.
    visible_tenant(&state.db, &principal, &row.tenant_id.to_string())
        .await
        .map_err(|_| missing())?;
    if !principal.allows(Permission::KeysRead) {
        return Err(refusal(&principal, Permission::KeysRead));
    }
    Ok(HttpResponse::Ok().json(jobs::to_api(&row)))
}
