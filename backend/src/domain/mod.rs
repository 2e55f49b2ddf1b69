//! What callvault does, independent of how it is asked: functions over the database and the
//! object store that take plain values and write their audit records in the same transaction
//! as their changes.

pub mod access_cache;
pub mod accounts;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod encryption_keys;
pub mod error;
pub mod idempotency;
pub mod jobs;
pub mod lease;
pub mod recordings;
pub mod retention;
pub mod tenant_held;
pub mod tenants;

use sea_orm::{ColumnTrait, ConnectionTrait, PrimaryKeyTrait, QueryFilter};

use crate::infra::entities::{TenantOwned, tenant};

/// The row `id` of exactly this tenant: a row of another tenant answers exactly like a missing
/// one. Every lookup of a tenant's recording, user or key by id goes through here.
pub async fn find_in_tenant<E>(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: uuid::Uuid,
) -> Result<E::Model, error::DomainError>
where
    E: TenantOwned,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<uuid::Uuid>,
{
    E::find_by_id(id)
        .filter(E::tenant_column().eq(tenant.id))
        .one(db)
        .await?
        .ok_or_else(|| error::DomainError::NotFound(format!("no {} {id} in this tenant", E::NOUN)))
}
