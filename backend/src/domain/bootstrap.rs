//! The first start: an empty database gets the System account and a root administrator.

use callvault_shared::api::Role;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::{self, NewAccount, password_policy};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::infra::entities::tenant;
use crate::infra::password;

pub const ROOT_USERNAME: &str = "root";

/// What the first start did, for the operator to see once.
pub enum FirstStart {
    /// The database already had its System account.
    AlreadyDone,
    /// Created, with the password the operator configured.
    Created,
    /// Created with a random password, which exists nowhere else: show it once.
    CreatedWithPassword(Zeroizing<String>),
}

pub async fn ensure_system_account(
    db: &DatabaseConnection,
    configured_password: Option<Zeroizing<String>>,
) -> anyhow::Result<FirstStart> {
    if tenant::Entity::find().count(db).await? > 0 {
        return Ok(FirstStart::AlreadyDone);
    }
    let (password, generated) = match configured_password {
        Some(password) => (password, false),
        None => (password::generate()?, true),
    };
    // The slow work first, so that the transaction covers only the writes. The root account
    // passes the other checks by construction; the password is the operator's.
    password_policy::check(&password, password_policy::ABSOLUTE_MINIMUM_LENGTH)
        .map_err(|problem| anyhow::anyhow!("the root password cannot be used: {problem}"))?;
    let system_id = Uuid::now_v7();
    let prepared = accounts::hash_new(
        system_id,
        NewAccount {
            username: ROOT_USERNAME.to_owned(),
            password: password.clone(),
            role: Role::Root,
        },
    )
    .await
    .map_err(|error| anyhow::anyhow!("the root password cannot be used: {error}"))?;
    let now = Utc::now();
    let txn = crate::infra::database::begin_write(db).await?;
    let system = tenant::ActiveModel {
        id: Set(system_id),
        slug: Set(tenant::SYSTEM_SLUG.to_owned()),
        name: Set("System".to_owned()),
        created_at: Set(now),
        // The audit chain starts empty; encryption starts off, provider-held, without a key.
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let system = match system {
        Ok(system) => system,
        // Another instance sharing this database won the race to the first start.
        Err(error) if crate::infra::database::is_unique_violation(&error) => {
            return Ok(FirstStart::AlreadyDone);
        }
        Err(error) => return Err(error.into()),
    };
    let root = accounts::insert(&txn, prepared)
        .await
        .map_err(|error| anyhow::anyhow!("the root password cannot be used: {error}"))?;
    audit::record(
        &txn,
        AuditEntry::new(system.id, &Actor::command_line(), "tenant.create")
            .object("tenant", system.id)
            .details(serde_json::json!({ "slug": system.slug, "first_start": true })),
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry::new(system.id, &Actor::command_line(), "user.create")
            .object("user", root.id)
            .details(serde_json::json!({ "username": root.username, "role": Role::Root })),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(tenant = %system.id, "first start: created the System account and its root administrator");
    Ok(if generated {
        FirstStart::CreatedWithPassword(password)
    } else {
        FirstStart::Created
    })
}
