//! The first start: an empty database gets the System account and a root administrator.

use callvault_shared::api::Role;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait,
    TransactionTrait,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::entities::{tenant, user};
use crate::password;

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
    let password_hash = password::hash(password.clone()).await?;

    let now = Utc::now();
    let txn = db.begin().await?;
    let system = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(tenant::SYSTEM_SLUG.to_owned()),
        name: Set("System".to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    let system = match system {
        Ok(system) => system,
        // Another instance sharing this database won the race to the first start.
        Err(error) if is_unique_violation(&error) => return Ok(FirstStart::AlreadyDone),
        Err(error) => return Err(error.into()),
    };
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(system.id),
        username: Set(ROOT_USERNAME.to_owned()),
        password_hash: Set(password_hash),
        role: Set(Role::Root.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(tenant = %system.id, "first start: created the System account and its root administrator");
    Ok(if generated {
        FirstStart::CreatedWithPassword(password)
    } else {
        FirstStart::Created
    })
}

fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
