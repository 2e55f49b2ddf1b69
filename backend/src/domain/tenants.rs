//! The provider's tenants: which a user sees, creating one, renaming one.

use callvault_shared::api::{NewTenant, Tenant, TenantUpdate};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryOrder,
};
use uuid::Uuid;

use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::database::is_unique_violation;
use crate::infra::entities::{tenant, user};

/// The tenants `user` may see: the one tenant of an API token (`token_tenant`), all of them
/// for provider staff, else their own.
pub async fn visible(
    db: &DatabaseConnection,
    user: &user::Model,
    token_tenant: Option<Uuid>,
) -> Result<Vec<Tenant>, DomainError> {
    let tenants = if let Some(token_tenant) = token_tenant {
        tenant::Entity::find_by_id(token_tenant).all(db).await?
    } else if user.role.is_provider_staff() {
        tenant::Entity::find()
            .order_by_asc(tenant::Column::Slug)
            .all(db)
            .await?
    } else {
        tenant::Entity::find_by_id(user.tenant_id).all(db).await?
    };
    Ok(tenants.iter().map(tenant::Model::to_api).collect())
}

/// Creates a tenant, recorded in the log of the creator's tenant (`creator_tenant`) and, as
/// its first record, in the new tenant's.
pub async fn create(
    db: &DatabaseConnection,
    new: NewTenant,
    creator_tenant: Uuid,
    actor: &Actor,
) -> Result<tenant::Model, DomainError> {
    let NewTenant { slug, name } = new;
    check_slug(&slug)?;
    let name = check_name(&name)?;
    let txn = begin_write(db).await?;
    let created = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.clone()),
        name: Set(name),
        created_at: Set(Utc::now()),
        // The audit chain starts empty; encryption starts off, provider-held, without a key.
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            DomainError::Conflict(format!("the slug {slug:?} is taken"))
        } else {
            error.into()
        }
    })?;
    for log in [creator_tenant, created.id] {
        audit::record(
            &txn,
            AuditEntry::new(log, actor, "tenant.create")
                .object("tenant", created.id)
                .details(serde_json::json!({ "slug": created.slug })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Renames `tenant`; without a name, the tenant as it is.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    update: TenantUpdate,
    actor: &Actor,
) -> Result<tenant::Model, DomainError> {
    let TenantUpdate { name } = update;
    let Some(name) = name else {
        return Ok(tenant.clone());
    };
    let name = check_name(&name)?;
    let before = tenant.name.clone();
    let mut row = tenant.clone().into_active_model();
    row.name = Set(name);
    let txn = begin_write(db).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(updated.id, actor, "tenant.update")
            .object("tenant", updated.id)
            .details(serde_json::json!({ "name": { "from": before, "to": updated.name } })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Slugs appear in paths beside ids, so they must never look like one.
fn check_slug(slug: &str) -> Result<(), DomainError> {
    let valid = (2..=63).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.ends_with('-')
        && Uuid::try_parse(slug).is_err();
    if valid {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!(
            "{slug:?} is not a valid slug: 2 to 63 of a-z, 0-9 and '-', starting with a letter and not ending with '-'"
        )))
    }
}

fn check_name(name: &str) -> Result<String, DomainError> {
    // Measured as sent, as the document's maxLength is: trimming comes after.
    let too_long = name.chars().count() > 200;
    let name = name.trim();
    if name.is_empty() || too_long || name.chars().any(char::is_control) {
        return Err(DomainError::Invalid(
            "the name must have 1 to 200 characters and no control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// The System account's id: where events about no tenant in particular (a login with an
/// unknown name, a locked address) are recorded.
pub async fn system_id(db: &impl sea_orm::ConnectionTrait) -> Result<Uuid, DomainError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(db)
        .await?
        .map(|tenant| tenant.id)
        .ok_or_else(|| DomainError::internal(anyhow::anyhow!("the System account is missing")))
}
