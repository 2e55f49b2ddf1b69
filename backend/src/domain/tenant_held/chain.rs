//! The key chain as stored: read back for the API and for checking, and the pin that starts it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callvault_shared::api::{KeyChain, KeyChainAction, KeyChainLink};
use callvault_shared::crypto::Native;
use callvault_shared::key_chain::{VerifiedChain, verify_chain};
use callvault_shared::keys::RsaPublicKey;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::error::DomainError;
use crate::infra::database::is_unique_violation;
use crate::infra::entities::{encryption_key, key_chain_link, tenant};

/// The tenant's chain, as `callvault verify --chain` reads it.
pub async fn chain(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<KeyChain, DomainError> {
    let links = key_chain_link::Entity::find()
        .filter(key_chain_link::Column::TenantId.eq(tenant.id))
        .order_by_asc(key_chain_link::Column::Seq)
        .all(db)
        .await?;
    let links = links.iter().map(to_api).collect::<Result<_, _>>()?;
    Ok(KeyChain {
        tenant_id: tenant.id,
        links,
    })
}

fn to_api(link: &key_chain_link::Model) -> Result<KeyChainLink, DomainError> {
    let public_key_pem = link
        .public_key
        .as_deref()
        .map(|der| {
            RsaPublicKey::<Native>::from_spki_der(der)
                .map(|key| key.to_pem())
                .map_err(|error| {
                    DomainError::internal(anyhow::anyhow!("a chained public key: {error}"))
                })
        })
        .transpose()?;
    Ok(KeyChainLink {
        seq: u64::try_from(link.seq).unwrap_or_default(),
        action: link.action,
        key_fingerprint: link.key_fingerprint.clone(),
        public_key_pem,
        statement: link.statement.clone(),
        signature: link
            .signature
            .as_deref()
            .map(|bytes| STANDARD.encode(bytes)),
        signed_by: link.signed_by.clone(),
        at: link.created_at,
    })
}

/// The chain replayed and checked, off the async executor (it verifies RSA signatures). A
/// chain that does not verify stops every change that needs it: someone altered the database.
pub async fn verified(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
) -> Result<(u64, VerifiedChain<Native>), DomainError> {
    let chain = chain(db, tenant).await?;
    let length = chain.links.len() as u64;
    let verified = tokio::task::spawn_blocking(move || verify_chain::<Native>(&chain))
        .await?
        .map_err(|error| {
            tracing::error!(tenant = %tenant.id, %error, "a tenant's key chain does not verify");
            DomainError::Conflict(format!(
                "this tenant's key chain does not verify ({error}): it was altered outside callvault, and no change that lowers protection is possible until it is restored from a backup"
            ))
        })?;
    Ok((length, verified))
}

/// How many links the tenant's chain has.
pub async fn length(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<u64, DomainError> {
    Ok(key_chain_link::Entity::find()
        .filter(key_chain_link::Column::TenantId.eq(tenant_id))
        .count(db)
        .await?)
}

/// Appends a link; a link already at `seq` means another change came first.
pub async fn append(
    db: &impl ConnectionTrait,
    link: key_chain_link::Model,
) -> Result<(), DomainError> {
    link.into_active_model().insert(db).await.map_err(|error| {
        if is_unique_violation(&error) {
            DomainError::Conflict(
                "another key change came first: ask for a new statement and sign it again".into(),
            )
        } else {
            error.into()
        }
    })?;
    Ok(())
}

/// The link that pins `key` as the tenant's first key (or its first again, after a signed
/// return to provider-held keys), at `seq`.
pub fn pin(tenant_id: Uuid, key: &encryption_key::Model, seq: u64) -> key_chain_link::Model {
    key_chain_link::Model {
        tenant_id,
        seq: seq as i64,
        action: KeyChainAction::Pin,
        key_fingerprint: key.fingerprint.clone(),
        public_key: Some(key.public_key.clone()),
        statement: None,
        signature: None,
        signed_by: None,
        created_at: Utc::now(),
    }
}
