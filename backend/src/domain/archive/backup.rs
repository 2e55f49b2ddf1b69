//! What a backup holds: every recording of the tenants it covers, those stored in plaintext
//! to be sealed on the way with the System key, so that a backup never holds audio anyone
//! could play without a key. The System key is the backup's key, held by the operator: a
//! restore opens those files with its key file and puts them back as they were stored, so no
//! tenant ever needs it (see docs/decisions.md, "Archives, backups and the demo").

use std::sync::Arc;

use anyhow::{Context, bail};
use callvault_shared::crypto::Native;
use callvault_shared::keys::RsaPublicKey;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::write::Item;
use crate::infra::entities::{recording, tenant};

/// Which tenants a backup covers.
pub enum Scope {
    Tenant(String),
    All,
}

/// The tenants `scope` names, by slug.
pub async fn tenants(db: &DatabaseConnection, scope: &Scope) -> anyhow::Result<Vec<tenant::Model>> {
    Ok(match scope {
        Scope::All => {
            tenant::Entity::find()
                .order_by_asc(tenant::Column::Slug)
                .all(db)
                .await?
        }
        Scope::Tenant(slug) => vec![
            tenant::Entity::find()
                .filter(tenant::Column::Slug.eq(slug.as_str()))
                .one(db)
                .await?
                .with_context(|| format!("no tenant {slug:?}"))?,
        ],
    })
}

/// The backup's key: the System tenant's active key. It seals the recordings stored in
/// plaintext and every recording's personal metadata.
pub async fn backup_key(
    db: &DatabaseConnection,
) -> anyhow::Result<Option<Arc<RsaPublicKey<Native>>>> {
    let system = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(db)
        .await?;
    active_key(db, system.as_ref()).await
}

/// Every recording of `tenants` as an archive item, and the bytes they hold in the store.
pub async fn items(
    db: &DatabaseConnection,
    tenants: &[tenant::Model],
) -> anyhow::Result<(Vec<Item>, u64)> {
    let system_key = backup_key(db).await?;
    let mut items = Vec::new();
    let mut total = 0u64;
    for tenant in tenants {
        let rows = recording::Entity::find()
            .filter(recording::Column::TenantId.eq(tenant.id))
            .order_by_asc(recording::Column::Id)
            .all(db)
            .await?;
        let seal_with = system_key.clone();
        if seal_with.is_none() && rows.iter().any(|row| !row.sealed) {
            bail!(
                "{} has recordings stored in plaintext and the System account has no active key to seal them with: create the System key first",
                tenant.slug
            );
        }
        for row in rows {
            total += u64::try_from(row.stored_bytes).unwrap_or_default();
            items.push(Item {
                row,
                tenant_slug: tenant.slug.clone(),
                tenant_name: tenant.name.clone(),
                seal_with: seal_with.clone(),
            });
        }
    }
    Ok((items, total))
}

/// The System tenant's active key, which seals plaintext recordings on the way into a backup.
async fn active_key(
    db: &DatabaseConnection,
    tenant: Option<&tenant::Model>,
) -> anyhow::Result<Option<Arc<RsaPublicKey<Native>>>> {
    let Some(tenant) = tenant else {
        return Ok(None);
    };
    let sealing = crate::domain::encryption_keys::sealing_key(db, tenant)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(sealing.map(|(_, public)| Arc::new(public)))
}
