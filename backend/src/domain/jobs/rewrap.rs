//! Re-wrapping every recording of a tenant to its active key: only each file's header is
//! rewritten (a new object: new header, then the untouched payload), the row is switched to
//! it, and the old object deleted. A crash at any point leaves the row naming a complete
//! object; an object no row names is a stray for the sweeper.

use std::collections::HashMap;
use std::sync::Arc;

use callvault_shared::api::{Job, JobState, KeyOrigin, KeyState};
use callvault_shared::crypto::Native;
use callvault_shared::keys::{RsaPrivateKey, RsaPublicKey};
use callvault_shared::sealed::{self, SealedHeader};
use chrono::Utc;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::LEASE;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::encryption_keys::{
    self,
    grants::{self, Holder},
};
use crate::domain::error::DomainError;
use crate::domain::lease::instance_id;
use crate::infra::database::begin_write;
use crate::infra::entities::{encryption_key, job, recording, tenant};
use crate::infra::storage::Store;

/// The database and the object store the job works on (cheap handles, cloned).
#[derive(Clone)]
pub struct Handles {
    pub db: sea_orm::DatabaseConnection,
    pub store: Store,
}

pub const KIND: &str = "rewrap";
const COPY_PIECE: u64 = 8 * 1024 * 1024;

/// What the job works with: the target's public key, and the old keys it was lent.
pub struct RewrapKeys {
    pub target_id: Uuid,
    pub target: RsaPublicKey<Native>,
    pub sources: HashMap<Uuid, RsaPrivateKey<Native>>,
}

/// Re-wraps every sealed recording of the tenant from older keys to the active key, in the
/// background: headers only, the audio bytes are not re-encrypted. The holder lends the job
/// the old keys through their own grants (recordings under a key they do not hold are left as
/// they are). Starting it again resumes the tenant's unfinished rewrap. The job, its lease and
/// the audit record commit together.
pub async fn start(
    db: &DatabaseConnection,
    store: &Store,
    tenant: &tenant::Model,
    holder: &Holder<'_>,
    actor: &Actor,
) -> Result<Job, DomainError> {
    let (target, target_public) = target_key(db, tenant).await?;
    let sources = lend_sources(db, tenant, holder, target.id).await?;
    let total = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::Sealed.eq(true))
        .filter(recording::Column::KeyId.is_in(sources.keys().copied()))
        .count(db)
        .await?;

    let txn = begin_write(db).await?;
    let row = queue(&txn, tenant.id, total, holder.user_id).await?;
    if !super::start_here(row.id) {
        txn.commit().await?;
        return Ok(super::to_api(&row));
    }
    let details = serde_json::json!({
        "to": target.fingerprint,
        "recordings": total,
        "keys_lent": sources.len(),
    });
    claim_and_record(txn, &row, details, actor).await?;
    let keys = Arc::new(RewrapKeys {
        target_id: target.id,
        target: target_public,
        sources,
    });
    let handles = Handles {
        db: db.clone(),
        store: store.clone(),
    };
    tokio::spawn(run(handles, row.id, tenant.id, keys, actor.clone()));
    let row = job::Entity::find_by_id(row.id)
        .one(db)
        .await?
        .unwrap_or(row);
    Ok(super::to_api(&row))
}

/// The tenant's active key, which the recordings are re-wrapped to, with its public half.
async fn target_key(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<(encryption_key::Model, RsaPublicKey<Native>), DomainError> {
    encryption_keys::sealing_key(db, tenant)
        .await?
        .ok_or_else(|| DomainError::Conflict("there is no active key to re-wrap to".into()))
}

/// The old keys still sealing recordings, opened through the holder's grants; a key they
/// cannot open is left out.
async fn lend_sources(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    holder: &Holder<'_>,
    target_id: Uuid,
) -> Result<HashMap<Uuid, RsaPrivateKey<Native>>, DomainError> {
    let source_ids: Vec<Uuid> = recording::Entity::find()
        .select_only()
        .column(recording::Column::KeyId)
        .distinct()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::Sealed.eq(true))
        .filter(recording::Column::KeyId.ne(target_id))
        .into_tuple::<Option<Uuid>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut sources = HashMap::new();
    for id in &source_ids {
        let Some(key) = encryption_key::Entity::find_by_id(*id)
            .filter(encryption_key::Column::TenantId.eq(tenant.id))
            .one(db)
            .await?
        else {
            continue;
        };
        if key.origin == KeyOrigin::PublicOnly || key.state == KeyState::Destroyed {
            continue;
        }
        if let Ok(private) = grants::open_for(db, holder, &key).await {
            sources.insert(key.id, private);
        }
    }
    Ok(sources)
}

/// The tenant's unfinished rewrap with `total` more recordings to do, or a new one.
async fn queue(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    total: u64,
    created_by: Uuid,
) -> Result<job::Model, DomainError> {
    let existing = job::Entity::find()
        .filter(job::Column::TenantId.eq(tenant_id))
        .filter(job::Column::Kind.eq(KIND))
        .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
        .one(txn)
        .await?;
    let now = Utc::now();
    let row = match existing {
        Some(row) => {
            let done = row.done;
            let mut active = row.into_active_model();
            // What is left now, plus what was done before.
            active.total = sea_orm::ActiveValue::Set(done + total as i64);
            active.update(txn).await?
        }
        None => {
            job::Model {
                id: Uuid::now_v7(),
                tenant_id,
                kind: KIND.into(),
                state: JobState::Queued,
                done: 0,
                total: total as i64,
                failed: 0,
                lease_owner: None,
                lease_expires_at: None,
                error: None,
                created_by: Some(created_by),
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(txn)
            .await?
        }
    };
    Ok(row)
}

/// Takes the job's lease for this instance and commits it with the `rewrap.start` record. On
/// any failure the job is no longer marked as running here.
async fn claim_and_record(
    txn: DatabaseTransaction,
    row: &job::Model,
    details: serde_json::Value,
    actor: &Actor,
) -> Result<(), DomainError> {
    let claimed = match super::claim(&txn, row.id).await {
        Ok(claimed) => claimed,
        Err(error) => {
            super::stopped_here(row.id);
            return Err(error.into());
        }
    };
    if !claimed {
        super::stopped_here(row.id);
        txn.commit().await?;
        return Err(DomainError::Conflict(
            "this tenant's rewrap is running on another instance".into(),
        ));
    }
    let recorded = audit::record(
        &txn,
        AuditEntry::new(row.tenant_id, actor, "rewrap.start")
            .object("job", row.id)
            .details(details),
    )
    .await;
    let committed = match recorded {
        Ok(()) => txn.commit().await,
        Err(error) => Err(error),
    };
    if let Err(error) = committed {
        super::stopped_here(row.id);
        return Err(error.into());
    }
    Ok(())
}

/// Runs the job to its end on this instance (the lease is already claimed).
pub async fn run(
    state: Handles,
    job_id: Uuid,
    tenant_id: Uuid,
    keys: Arc<RewrapKeys>,
    actor: Actor,
) {
    work(&state, job_id, tenant_id, &keys, &actor).await;
    super::stopped_here(job_id);
}

async fn work(state: &Handles, job_id: Uuid, tenant_id: Uuid, keys: &RewrapKeys, actor: &Actor) {
    let mut after = Uuid::nil();
    loop {
        let source_ids: Vec<Uuid> = keys.sources.keys().copied().collect();
        let batch = recording::Entity::find()
            .filter(recording::Column::TenantId.eq(tenant_id))
            .filter(recording::Column::Sealed.eq(true))
            .filter(recording::Column::KeyId.is_in(source_ids))
            .filter(recording::Column::Id.gt(after))
            .order_by_asc(recording::Column::Id)
            .limit(50)
            .all(&state.db)
            .await;
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => return finish(state, job_id, Some(format!("database: {error}"))).await,
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in batch {
            let outcome = rewrap_one(state, &row, keys).await;
            let column = if outcome.is_ok() {
                job::Column::Done
            } else {
                job::Column::Failed
            };
            if let Err(error) = &outcome {
                tracing::warn!(recording = %row.id, error = format!("{error:#}"), "rewrap of one recording failed");
                audit::record_or_log(
                    &state.db,
                    AuditEntry::new(tenant_id, actor, "recording.rewrap")
                        .object("recording", row.id)
                        .outcome(callvault_shared::api::AuditOutcome::Failure),
                )
                .await;
            }
            let now = Utc::now();
            let renewed = job::Entity::update_many()
                .col_expr(column, Expr::col(column).add(1))
                .col_expr(job::Column::LeaseExpiresAt, Expr::value(now + LEASE))
                .col_expr(job::Column::UpdatedAt, Expr::value(now))
                .filter(job::Column::Id.eq(job_id))
                .filter(job::Column::LeaseOwner.eq(instance_id()))
                .exec(&state.db)
                .await;
            if !matches!(renewed, Ok(result) if result.rows_affected == 1) {
                // The lease went to another instance: it carries on.
                tracing::warn!(job = %job_id, "lost the lease of a rewrap; stopping here");
                return;
            }
        }
    }
    finish(state, job_id, None).await;
    audit::record_or_log(
        &state.db,
        AuditEntry::new(tenant_id, actor, "rewrap.finish").object("job", job_id),
    )
    .await;
}

async fn finish(state: &Handles, job_id: Uuid, error: Option<String>) {
    let result = job::Entity::update_many()
        .col_expr(
            job::Column::State,
            Expr::value(if error.is_some() {
                JobState::Failed
            } else {
                JobState::Done
            }),
        )
        .col_expr(job::Column::Error, Expr::value(error))
        .col_expr(job::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(job::Column::LeaseOwner.eq(instance_id()))
        .exec(&state.db)
        .await;
    if let Err(error) = result {
        tracing::error!(job = %job_id, error = %error, "could not record the end of a job");
    }
}

async fn rewrap_one(
    state: &Handles,
    row: &recording::Model,
    keys: &RewrapKeys,
) -> anyhow::Result<()> {
    let key_id = row.key_id.ok_or_else(|| anyhow::anyhow!("no key"))?;
    let private = keys
        .sources
        .get(&key_id)
        .ok_or_else(|| anyhow::anyhow!("no key lent for {key_id}"))?;
    let old = ObjectPath::from(row.object_key.as_str());
    let stored = u64::try_from(row.stored_bytes)?;
    let head = state
        .store
        .get_range(&old, 0..Ord::min(stored, sealed::MAX_HEADER_LEN as u64))
        .await?;
    let (parsed, chunk_header) = SealedHeader::parse_with_payload_header(&head)?;
    let header_len = parsed.len as u64;
    let new_header = sealed::rewrap(parsed, &chunk_header, private, &[&keys.target], false)?;

    let object_key = crate::domain::recordings::object_key(row.tenant_id, row.id);
    let new = ObjectPath::from(object_key.as_str());
    let mut upload = WriteMultipart::new(state.store.put_multipart(&new).await?);
    upload.write(&new_header);
    let mut at = header_len;
    while at < stored {
        let end = Ord::min(at + COPY_PIECE, stored);
        let piece = state.store.get_range(&old, at..end).await?;
        upload.write(&piece);
        upload.wait_for_capacity(2).await?;
        at = end;
    }
    upload.finish().await?;
    let new_len = new_header.len() as u64 + (stored - header_len);

    // Switch the row only if nobody changed it meanwhile; else the new object is a stray.
    let switched = recording::Entity::update_many()
        .col_expr(recording::Column::ObjectKey, Expr::value(object_key))
        .col_expr(recording::Column::KeyId, Expr::value(keys.target_id))
        .col_expr(
            recording::Column::KeyFingerprint,
            Expr::value(keys.target.fingerprint().to_hex()),
        )
        .col_expr(recording::Column::StoredBytes, Expr::value(new_len as i64))
        .filter(recording::Column::Id.eq(row.id))
        .filter(recording::Column::ObjectKey.eq(row.object_key.as_str()))
        .exec(&state.db)
        .await?
        .rows_affected;
    if switched == 1 {
        if let Err(error) = state.store.delete(&old).await {
            tracing::warn!(recording = %row.id, error = %error, "old object stays for the sweeper");
        }
    } else {
        let _ = state.store.delete(&new).await;
    }
    Ok(())
}
