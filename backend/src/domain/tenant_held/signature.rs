//! The gate every protection-lowering change of a tenant-held tenant passes: a statement of
//! exactly this change, with a fresh nonce of this server, signed by the tenant's active key.
//! Every refusal is on the record.

use callvault_shared::api::{
    AuditOutcome, KeyChainAction, KeyMode, StatementRequest, StatementToSign,
};
use callvault_shared::crypto::Native;
use callvault_shared::crypto::random_bytes;
use callvault_shared::key_chain::{CLOCK_SKEW, STATEMENT_LIFETIME, SignedStatement, Statement};
use callvault_shared::keys::{Fingerprint, RsaPublicKey};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::chain;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::entities::{encryption_key, key_chain_link, key_change_nonce, tenant};

/// What a change is about.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// A key being added to the tenant.
    NewKey(&'a encryption_key::Model),
    /// One of the tenant's keys.
    Key(&'a encryption_key::Model),
    /// The tenant's settings: the statement names the key that signs it.
    Settings,
}

impl<'a> Target<'a> {
    fn new_key(self) -> Option<&'a encryption_key::Model> {
        match self {
            Target::NewKey(key) => Some(key),
            _ => None,
        }
    }

    /// The fingerprint the statement must name.
    fn fingerprint(self, signer: Fingerprint) -> String {
        match self {
            Target::NewKey(key) | Target::Key(key) => key.fingerprint.clone(),
            Target::Settings => signer.to_hex(),
        }
    }
}

/// Leave to make a change; [`Authorized::record`] writes its link in the change's transaction.
#[derive(Debug)]
pub enum Authorized {
    /// The tenant does not hold its own keys, or has pinned none yet: there is nothing to
    /// sign with.
    NotNeeded,
    /// The first key of a tenant that holds its own keys: the trust-on-first-use step.
    Pin(key_chain_link::Model),
    /// A change the tenant's key signed; its nonce is spent.
    Signed(key_chain_link::Model),
}

impl Authorized {
    pub fn pins(&self) -> bool {
        matches!(self, Authorized::Pin(_))
    }

    /// Appends the change's link to the chain (nothing for [`Authorized::NotNeeded`]).
    pub async fn record(self, txn: &impl ConnectionTrait) -> Result<(), DomainError> {
        match self {
            Authorized::NotNeeded => Ok(()),
            Authorized::Pin(link) | Authorized::Signed(link) => chain::append(txn, link).await,
        }
    }
}

/// A statement of `request` for the tenant's key to sign, with a nonce good for
/// [`STATEMENT_LIFETIME`]. Only a tenant that holds its own keys signs its changes.
pub async fn statement_to_sign(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    request: StatementRequest,
) -> Result<StatementToSign, DomainError> {
    if tenant.key_mode != KeyMode::TenantHeld {
        return Err(DomainError::Conflict(
            "this tenant's keys are held by the provider: its changes need no signature".into(),
        ));
    }
    if request.action == KeyChainAction::Pin {
        return Err(DomainError::Invalid(
            "a key is pinned by switching to tenant-held keys, not by a statement".into(),
        ));
    }
    let key: Fingerprint = request.key_fingerprint.parse().map_err(|_| {
        DomainError::Invalid("key_fingerprint: 64 lowercase hexadecimal digits".into())
    })?;
    let now = Utc::now();
    key_change_nonce::Entity::delete_many()
        .filter(key_change_nonce::Column::TenantId.eq(tenant.id))
        .filter(key_change_nonce::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let nonce = hex::encode(random_bytes::<16>().map_err(DomainError::internal)?);
    let expires_at = now + STATEMENT_LIFETIME;
    key_change_nonce::Model {
        nonce: nonce.clone(),
        tenant_id: tenant.id,
        expires_at,
    }
    .into_active_model()
    .insert(db)
    .await?;
    let statement = Statement {
        tenant_id: tenant.id,
        action: request.action,
        key,
        nonce: nonce.clone(),
        time: now,
    };
    Ok(StatementToSign {
        statement: statement.to_text(),
        nonce,
        expires_at,
    })
}

/// Whether `action` on `target` may happen in `tenant`. In a tenant that holds its own keys
/// it needs `signed`: this very change, signed by the tenant's active key, with an unused,
/// unexpired nonce (spent here). Refusals are 403s, and audited.
pub async fn authorize(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    action: KeyChainAction,
    target: Target<'_>,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<Authorized, DomainError> {
    if tenant.key_mode != KeyMode::TenantHeld {
        return Ok(Authorized::NotNeeded);
    }
    let (length, verified) = chain::verified(db, tenant).await?;
    let Some(signer) = verified.signer_key() else {
        return Ok(match target.new_key() {
            Some(key) => Authorized::Pin(chain::pin(tenant.id, key, length + 1)),
            None => Authorized::NotNeeded,
        });
    };
    let signer_fingerprint = signer.fingerprint();
    let expected = target.fingerprint(signer_fingerprint);
    let refuse = |reason: String| refuse(db, tenant, actor, action, expected.clone(), reason);
    let Some(signed) = signed else {
        return Err(refuse("no signed statement came with the request".into()).await);
    };
    let (signer_der, checked) = (signer.spki_der().to_vec(), signed.clone());
    let statement = tokio::task::spawn_blocking(move || {
        let signer = RsaPublicKey::<Native>::from_spki_der(&signer_der).ok()?;
        checked.verify(&signer).ok()
    })
    .await?;
    let Some(statement) = statement else {
        return Err(refuse(format!(
            "the signature is not by the tenant's active key {signer_fingerprint}, or the statement is malformed"
        ))
        .await);
    };
    if statement.tenant_id != tenant.id
        || statement.action != action
        || statement.key.to_hex() != expected
    {
        return Err(refuse(format!(
            "the signed statement is not for this change (it says {} of the key {} in the tenant {})",
            statement.action.as_str(),
            statement.key,
            statement.tenant_id
        ))
        .await);
    }
    let now = Utc::now();
    if statement.time < now - STATEMENT_LIFETIME || statement.time > now + CLOCK_SKEW {
        return Err(refuse("the statement has expired: ask for a new one".into()).await);
    }
    let spent = key_change_nonce::Entity::delete_many()
        .filter(key_change_nonce::Column::Nonce.eq(statement.nonce.as_str()))
        .filter(key_change_nonce::Column::TenantId.eq(tenant.id))
        .filter(key_change_nonce::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    if spent != 1 {
        return Err(refuse(
            "the statement's nonce was used already, has expired, or was never issued: ask for a new statement".into(),
        )
        .await);
    }
    if action == KeyChainAction::ActivateKey && !verified.keys.contains_key(&statement.key) {
        return Err(DomainError::Conflict(
            "this key is not in the tenant's key chain: only a key added with a signed statement can be activated".into(),
        ));
    }
    if matches!(
        action,
        KeyChainAction::RetireKey | KeyChainAction::DestroyKey
    ) && statement.key == signer_fingerprint
    {
        return Err(DomainError::Conflict(
            "this key signs the tenant's key changes: activate another key first".into(),
        ));
    }
    Ok(Authorized::Signed(key_chain_link::Model {
        tenant_id: tenant.id,
        seq: (length + 1) as i64,
        action,
        key_fingerprint: expected.clone(),
        public_key: target.new_key().map(|key| key.public_key.clone()),
        statement: Some(signed.text),
        signature: Some(signed.signature),
        signed_by: Some(signer_fingerprint.to_hex()),
        created_at: now,
    }))
}

/// The 403 for a change without a valid signature, after its audit record.
async fn refuse(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    actor: &Actor,
    action: KeyChainAction,
    key: String,
    reason: String,
) -> DomainError {
    audit::record_or_log(
        db,
        AuditEntry::new(tenant.id, actor, "key_chain.refused")
            .outcome(AuditOutcome::Failure)
            .details(serde_json::json!({
                "action": action,
                "key": key,
                "reason": reason,
            })),
    )
    .await;
    DomainError::Refused(format!(
        "this tenant holds its own keys: this change ({}) needs a statement signed by the tenant's key (ask POST …/keys/statements for one, sign it, and send it in the Callvault-Statement and Callvault-Signature headers): {reason}",
        action.describe()
    ))
}
