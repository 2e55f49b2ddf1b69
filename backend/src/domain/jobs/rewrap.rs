//! Re-wrapping every recording of a tenant to its active key: only each file's header is
//! rewritten (a new object: new header, then the untouched payload), the row is switched to
//! it, and the old object deleted. A crash at any point leaves the row naming a complete
//! object; an object no row names is a stray for the sweeper.

use std::collections::HashMap;
use std::sync::Arc;

use callvault_shared::api::{Job, JobKind, KeyMode, KeyOrigin, KeyState};
use callvault_shared::crypto::Native;
use callvault_shared::keys::{RsaPrivateKey, RsaPublicKey};
use callvault_shared::sealed::{self, SealedHeader};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Handles;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::encryption_keys::{
    self,
    grants::{self, Holder},
};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{encryption_key, job, recording, tenant};
use crate::infra::storage::Store;

pub const KIND: JobKind = JobKind::Rewrap;
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
    if tenant.key_mode == KeyMode::TenantHeld {
        return Err(DomainError::Conflict(
            "this tenant holds its own keys: the server has no private key to re-wrap with (re-wrap on the tenant's side, with its key file)".into(),
        ));
    }
    let (target, target_public) = target_key(db, tenant).await?;
    let sources = lend_sources(db, tenant, holder, target.id).await?;
    let total = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::Sealed.eq(true))
        .filter(recording::Column::KeyId.is_in(sources.keys().copied()))
        .count(db)
        .await?;

    let txn = begin_write(db).await?;
    let row = super::queue(&txn, tenant.id, KIND, total, Some(holder.user_id)).await?;
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
            Err(error) => {
                return super::finish(&state.db, job_id, Some(format!("database: {error}"))).await;
            }
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
            if !super::count_and_renew(&state.db, job_id, column).await {
                tracing::warn!(job = %job_id, "lost the lease of a rewrap; stopping here");
                return;
            }
        }
    }
    super::finish(&state.db, job_id, None).await;
    audit::record_or_log(
        &state.db,
        AuditEntry::new(tenant_id, actor, "rewrap.finish").object("job", job_id),
    )
    .await;
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
