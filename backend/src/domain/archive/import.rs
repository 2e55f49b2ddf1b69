//! An archive uploaded into a tenant: spooled (a ZIP is read from its end), checked against
//! its idempotency key, then imported with its audit record in the same transaction. A
//! refused archive is audited as such and leaves nothing.

use bytes::Bytes;
use callvault_shared::api::{AuditOutcome, ImportOutcome};
use futures_util::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use super::read::{ArchiveError, Destination, ImportReport, Witness, import_archive};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::idempotency::{self, IdempotencyError, IdempotencyKey, Pending, Remembered};
use crate::infra::entities::tenant;
use crate::infra::storage::Store;

/// The audit action of an import, and the operation its idempotency keys are used for.
pub const ACTION: &str = "recording.import";

/// What an import ended in.
pub enum Imported {
    New(ImportOutcome),
    /// The answer an earlier request with the same `Idempotency-Key` got; nothing imported.
    Replayed(Remembered),
}

/// Imports the archive `body` into `tenant`, as `actor`.
pub async fn into_tenant(
    db: &DatabaseConnection,
    store: &Store,
    tenant: &tenant::Model,
    actor: &Actor,
    body: impl Stream<Item = Result<Bytes, DomainError>> + Unpin,
    max_bytes: u64,
    key: Option<IdempotencyKey>,
) -> Result<Imported, DomainError> {
    let (spool, sha256) = spool(body, max_bytes).await?;
    let pending = key
        .zip(actor.id)
        .map(|(key, user_id)| Pending::new(tenant.id, user_id, key, ACTION, &[&sha256[..]]));
    if let Some(pending) = &pending
        && let Some(earlier) = idempotency::earlier(db, pending).await?
    {
        return Ok(Imported::Replayed(earlier));
    }
    let witness = Witness {
        log_tenant_id: tenant.id,
        actor: actor.clone(),
        action: ACTION,
        idempotency: pending.clone(),
        opened_with: Vec::new(),
    };
    let (worker_db, worker_store, destination) = (
        db.clone(),
        store.clone(),
        Destination::Tenant(tenant.clone()),
    );
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        import_archive(
            &handle,
            &worker_db,
            &worker_store,
            spool,
            &destination,
            &[],
            Some(&witness),
            |_| {},
        )
    })
    .await?;
    match report {
        Ok(ImportReport {
            imported,
            already_present,
            skipped,
        }) => Ok(Imported::New(ImportOutcome {
            imported,
            already_present,
            skipped,
        })),
        Err(ArchiveError::Invalid(reason)) => {
            audit::record(
                db,
                AuditEntry::new(tenant.id, actor, ACTION)
                    .outcome(AuditOutcome::Failure)
                    .details(serde_json::json!({ "refused": reason })),
            )
            .await?;
            Err(DomainError::Invalid(format!(
                "the archive is refused: {reason}"
            )))
        }
        Err(ArchiveError::Failed(error)) => {
            // A request racing this one with the same key may have committed first.
            if let Some(pending) = &pending {
                match idempotency::earlier(db, pending).await {
                    Ok(Some(earlier)) => return Ok(Imported::Replayed(earlier)),
                    Err(reused @ IdempotencyError::Reused) => return Err(reused.into()),
                    _ => {}
                }
            }
            audit::record_or_log(
                db,
                AuditEntry::new(tenant.id, actor, ACTION).outcome(AuditOutcome::Failure),
            )
            .await;
            Err(DomainError::Internal(error))
        }
    }
}

/// The body in a private, already-unlinked temporary file, and its SHA-256.
async fn spool(
    mut body: impl Stream<Item = Result<Bytes, DomainError>> + Unpin,
    max_bytes: u64,
) -> Result<(std::fs::File, [u8; 32]), DomainError> {
    let spool = tempfile::tempfile().map_err(DomainError::internal)?;
    let mut spool = tokio::fs::File::from_std(spool);
    let mut size = 0u64;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(DomainError::TooLarge(format!(
                "the archive is larger than the limit of {max_bytes} bytes"
            )));
        }
        hasher.update(&chunk);
        tokio::io::AsyncWriteExt::write_all(&mut spool, &chunk)
            .await
            .map_err(DomainError::internal)?;
    }
    Ok((spool.into_std().await, hasher.finalize().into()))
}
