//! The switch's effects, once a key is pinned: the key seals from now on, encryption is on,
//! and the tenant's plaintext recordings are queued to be sealed to it.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, IntoActiveModel};

use super::chain;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::jobs::seal_plaintext;
use crate::infra::entities::{encryption_key, key_chain_link, tenant};

/// Pins `key` with `link`, in `txn`, with its audit record. The caller starts the sealing job
/// ([`seal_plaintext::resume`]) once `txn` commits.
pub async fn begin(
    txn: &DatabaseTransaction,
    tenant: &tenant::Model,
    key: &encryption_key::Model,
    link: key_chain_link::Model,
    actor: &Actor,
) -> Result<tenant::Model, DomainError> {
    let seq = link.seq;
    chain::append(txn, link).await?;
    let mut row = tenant.clone().into_active_model();
    row.active_key_id = Set(Some(key.id));
    row.encryption_enabled = Set(true);
    let tenant = row.update(txn).await?;
    let job = seal_plaintext::queue(txn, tenant.id, actor.id).await?;
    audit::record(
        txn,
        AuditEntry::new(tenant.id, actor, "key_chain.pin")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "link": seq,
                "sealing_job": job.as_ref().map(|job| job.id),
                "plaintext_recordings": job.as_ref().map(|job| job.total),
            })),
    )
    .await?;
    Ok(tenant)
}
