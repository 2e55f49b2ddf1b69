//! The access-token signing key: made by the first instance to start, read by every other.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::infra::database::is_unique_violation;
use crate::infra::entities::server_secret;

const NAME: &str = "access-token-hs256";

pub async fn load_or_create(db: &DatabaseConnection) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = server_secret::Entity::find_by_id(NAME).one(db).await? {
        return Ok(secret.value);
    }
    let value = callvault_shared::crypto::random_secret::<64>()?.to_vec();
    let created = server_secret::ActiveModel {
        name: Set(NAME.to_owned()),
        value: Set(value.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match created {
        Ok(_) => Ok(value),
        // Another instance made it first: use theirs.
        Err(error) if is_unique_violation(&error) => server_secret::Entity::find_by_id(NAME)
            .one(db)
            .await?
            .map(|secret| secret.value)
            .ok_or_else(|| anyhow::anyhow!("the token signing key vanished")),
        Err(error) => Err(error.into()),
    }
}
