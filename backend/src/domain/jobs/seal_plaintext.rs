//! Sealing a tenant's plaintext recordings to its pinned public key, when it begins holding
//! its own keys: plaintext must not outlive the switch. Needs no private key, so it needs no
//! holder either: any instance resumes it (at its start) from where it stopped. Each sealed
//! copy is written first, the row switched to it, and the plaintext object deleted at once.

use callvault_shared::api::{AuditOutcome, JobKind, JobState};
use callvault_shared::crypto::Native;
use callvault_shared::keys::RsaPublicKey;
use callvault_shared::sealed::Sealer;
use futures_util::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Handles;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::encryption_keys;
use crate::domain::error::DomainError;
use crate::domain::recordings::{self, ingest};
use crate::infra::entities::{encryption_key, job, recording, tenant};

pub const KIND: JobKind = JobKind::SealPlaintext;
const BATCH: u64 = 50;

/// Queues the job in `txn` (the pin's transaction) when the tenant has plaintext recordings.
pub async fn queue(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    created_by: Option<Uuid>,
) -> Result<Option<job::Model>, DomainError> {
    let plaintext = plaintext_recordings(tenant_id).count(txn).await?;
    if plaintext == 0 {
        return Ok(None);
    }
    Ok(Some(
        super::queue(txn, tenant_id, KIND, plaintext, created_by).await?,
    ))
}

/// The tenant's sealing job while it is unfinished, for its progress.
pub async fn unfinished(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<job::Model>, DomainError> {
    Ok(job::Entity::find()
        .filter(job::Column::TenantId.eq(tenant_id))
        .filter(job::Column::Kind.eq(KIND))
        .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
        .one(db)
        .await?)
}

fn plaintext_recordings(tenant_id: Uuid) -> sea_orm::Select<recording::Entity> {
    recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant_id))
        .filter(recording::Column::Sealed.eq(false))
}

/// Runs, in the background, every sealing job no live instance holds: after a pin commits,
/// and at every start.
pub fn resume(handles: Handles) {
    tokio::spawn(async move {
        let pending = job::Entity::find()
            .filter(job::Column::Kind.eq(KIND))
            .filter(job::Column::State.is_in([JobState::Queued, JobState::Running]))
            .all(&handles.db)
            .await;
        let pending = match pending {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!(%error, "could not look for sealing jobs to resume");
                return;
            }
        };
        for job in pending {
            if !super::start_here(job.id) {
                continue;
            }
            match super::claim(&handles.db, job.id).await {
                Ok(true) => work(&handles, &job).await,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(job = %job.id, %error, "could not claim a sealing job")
                }
            }
            super::stopped_here(job.id);
        }
    });
}

async fn work(handles: &Handles, job: &job::Model) {
    let actor = Actor {
        id: job.created_by,
        name: "sealing job".into(),
        origin: "job".into(),
    };
    let target = match target_key(&handles.db, job.tenant_id).await {
        Ok(target) => target,
        Err(error) => return super::finish(&handles.db, job.id, Some(error.to_string())).await,
    };
    let mut after = Uuid::nil();
    loop {
        let batch = plaintext_recordings(job.tenant_id)
            .filter(recording::Column::Id.gt(after))
            .order_by_asc(recording::Column::Id)
            .limit(BATCH)
            .all(&handles.db)
            .await;
        let batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                let error = Some(format!("database: {error}"));
                return super::finish(&handles.db, job.id, error).await;
            }
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in batch {
            let outcome = seal_one(handles, &row, &target).await;
            if let Err(error) = &outcome {
                tracing::warn!(recording = %row.id, error = format!("{error:#}"), "sealing one plaintext recording failed");
                audit::record_or_log(
                    &handles.db,
                    AuditEntry::new(job.tenant_id, &actor, "recording.seal")
                        .object("recording", row.id)
                        .outcome(AuditOutcome::Failure),
                )
                .await;
            }
            let column = if outcome.is_ok() {
                job::Column::Done
            } else {
                job::Column::Failed
            };
            if !super::count_and_renew(&handles.db, job.id, column).await {
                tracing::warn!(job = %job.id, "lost the lease of a sealing job; stopping here");
                return;
            }
        }
    }
    super::finish(&handles.db, job.id, None).await;
    audit::record_or_log(
        &handles.db,
        AuditEntry::new(job.tenant_id, &actor, "seal_plaintext.finish")
            .object("job", job.id)
            .details(serde_json::json!({ "to": target.0.fingerprint })),
    )
    .await;
}

async fn target_key(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<(encryption_key::Model, RsaPublicKey<Native>), DomainError> {
    let tenant = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound("the tenant is gone".into()))?;
    encryption_keys::sealing_key(db, &tenant)
        .await?
        .ok_or_else(|| DomainError::Conflict("the tenant has no active key to seal to".into()))
}

/// Seals one recording into a new object, switches its row to it, deletes the plaintext.
async fn seal_one(
    handles: &Handles,
    row: &recording::Model,
    (key, public): &(encryption_key::Model, RsaPublicKey<Native>),
) -> anyhow::Result<()> {
    let old = ObjectPath::from(row.object_key.as_str());
    let new_key = recordings::object_key(row.tenant_id, row.id);
    let new = ObjectPath::from(new_key.as_str());
    let sealer = Sealer::<Native>::new(row.id.into_bytes(), &row.content_type, &[public])?;
    let body = handles
        .store
        .get(&old)
        .await?
        .into_stream()
        .map_err(ingest::storage_error)
        .boxed();
    let written = ingest::write_object(&handles.store, &new, Some(sealer), body, u64::MAX).await?;
    if written.sha256 != row.sha256 {
        let _ = handles.store.delete(&new).await;
        anyhow::bail!("the plaintext object does not match its catalogue entry");
    }
    let switched = recording::Entity::update_many()
        .col_expr(recording::Column::ObjectKey, Expr::value(new_key))
        .col_expr(recording::Column::Sealed, Expr::value(true))
        .col_expr(recording::Column::KeyId, Expr::value(key.id))
        .col_expr(
            recording::Column::KeyFingerprint,
            Expr::value(key.fingerprint.clone()),
        )
        .col_expr(
            recording::Column::StoredBytes,
            Expr::value(written.stored as i64),
        )
        .filter(recording::Column::Id.eq(row.id))
        .filter(recording::Column::ObjectKey.eq(row.object_key.as_str()))
        .filter(recording::Column::Sealed.eq(false))
        .exec(&handles.db)
        .await?
        .rows_affected;
    if switched == 1 {
        // At once, not left for the sweeper: the plaintext is what the switch is about.
        handles.store.delete(&old).await?;
    } else {
        let _ = handles.store.delete(&new).await;
    }
    Ok(())
}
