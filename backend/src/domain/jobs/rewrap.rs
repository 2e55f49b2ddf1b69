//! Re-wrapping every recording of a tenant to its active key: only each file's header is
//! rewritten (a new object: new header, then the untouched payload), the row is switched to
//! it, and the old object deleted. A crash at any point leaves the row naming a complete
//! object; an object no row names is a stray for the sweeper.

use std::collections::HashMap;
use std::sync::Arc;

use callvault_shared::crypto::Native;
use callvault_shared::keys::{RsaPrivateKey, RsaPublicKey};
use callvault_shared::sealed::{self, SealedHeader};
use chrono::Utc;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{DONE, FAILED, LEASE};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::lease::instance_id;
use crate::infra::entities::{job, recording};
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
            Expr::value(if error.is_some() { FAILED } else { DONE }),
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
    let parsed = SealedHeader::parse(&head)?;
    let header_len = parsed.len as u64;
    let chunk_header = head
        .get(parsed.len..parsed.len + callvault_shared::chunked::HEADER_LEN)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("truncated"))?;
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
