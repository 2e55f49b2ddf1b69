//! Signed checkpoints of a tenant's audit chain.
//!
//! The chain's head sits in the same database as the records, so whoever can rewrite the
//! records can rewrite the head with them, and [`super::verify`] then finds nothing wrong. A
//! checkpoint is the server's signature, with a key kept outside the database
//! ([`crate::infra::audit_key`]), over the chain's length and head at one moment. A tenant keeps
//! it, and later checks an export against it offline (`callvault audit verify`): if record
//! `length` of the export no longer hashes to the signed head, the log was rewritten.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callvault_shared::api::{
    AuditCheckpoint, AuditOutcome, AuditSigningKey as PublicSigningKey, CHECKPOINT_ALGORITHM,
    CHECKPOINT_VERSION,
};
use chrono::{SubsecRound, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{Actor, AuditEntry, verify};
use crate::domain::error::DomainError;
use crate::infra::audit_key::AuditSigningKey;

/// The public half of the server's audit signing key, as the API shows it.
pub fn public_key(key: &AuditSigningKey) -> PublicSigningKey {
    PublicSigningKey {
        algorithm: CHECKPOINT_ALGORITHM.to_owned(),
        public_key: key.public_key_base64(),
        fingerprint: key.fingerprint(),
    }
}

/// Verifies the tenant's chain up to its head, signs that head, then records that a checkpoint
/// was taken. A chain that is not intact is refused: signing it would certify the tampering.
pub async fn checkpoint(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    key: &AuditSigningKey,
    actor: &Actor,
) -> Result<AuditCheckpoint, DomainError> {
    let verified = verify::verify_to_head(db, tenant_id).await?;
    if !verified.verdict.intact {
        let first = verified
            .verdict
            .problems
            .first()
            .map(|problem| format!(" (at record {}: {})", problem.seq, problem.problem))
            .unwrap_or_default();
        tracing::warn!(tenant = %tenant_id, "refused to sign a checkpoint of a broken audit chain");
        super::record_or_log(
            db,
            AuditEntry::new(tenant_id, actor, "audit.checkpoint")
                .outcome(AuditOutcome::Failure)
                .details(serde_json::json!({ "reason": "the chain is not intact" })),
        )
        .await;
        return Err(DomainError::Conflict(format!(
            "the audit chain is not intact{first}, so no checkpoint is signed: signing it would certify the tampering; GET …/audit/verify lists the problems"
        )));
    }
    let length = u64::try_from(verified.length)
        .map_err(|_| DomainError::internal(anyhow::anyhow!("a negative audit sequence")))?;
    let mut checkpoint = AuditCheckpoint {
        version: CHECKPOINT_VERSION,
        tenant_id,
        length,
        head: hex::encode(verified.head),
        time: Utc::now().trunc_subsecs(0),
        signing_key: key.public_key_base64(),
        signature: String::new(),
    };
    checkpoint.signature = STANDARD.encode(key.sign(checkpoint.signed_text().as_bytes()));

    // Recorded after signing, so that the checkpoint covers the chain as it was verified and
    // the record of taking it lands beyond `length` (the next checkpoint covers it). Recording
    // first would need the new head inside the same transaction as the walk; this order needs
    // neither, and the log still says who took which checkpoint.
    super::record(
        db,
        AuditEntry::new(tenant_id, actor, "audit.checkpoint").details(serde_json::json!({
            "length": checkpoint.length,
            "head": checkpoint.head,
        })),
    )
    .await?;
    Ok(checkpoint)
}
