//! Named leases: the one instance that holds `name` does that work, and when it dies the lease
//! runs out and another takes it. One conditional upsert, the same on SQLite and PostgreSQL;
//! instances' clocks are assumed to agree to well within a lease (NTP).

use chrono::{Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::infra::entities::lease;

/// This instance's name in leases.
pub fn instance_id() -> &'static str {
    static ID: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("instance-{}", uuid::Uuid::new_v4().simple()));
    &ID
}

/// Takes `name` for `ttl` if nobody else holds it; true if this instance holds it now.
pub async fn take(
    db: &DatabaseConnection,
    name: &str,
    ttl: Duration,
) -> Result<bool, sea_orm::DbErr> {
    let now = Utc::now();
    let taken = lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        owner: Set(instance_id().to_owned()),
        expires_at: Set(now + ttl),
    })
    .on_conflict(
        OnConflict::column(lease::Column::Name)
            .update_columns([lease::Column::Owner, lease::Column::ExpiresAt])
            .action_and_where(
                Expr::col((lease::Entity, lease::Column::ExpiresAt))
                    .lt(now)
                    .or(Expr::col((lease::Entity, lease::Column::Owner)).eq(instance_id())),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(taken == 1)
}

/// Gives `name` up, if this instance holds it, so that the next taker need not wait.
pub async fn release(db: &DatabaseConnection, name: &str) -> Result<(), sea_orm::DbErr> {
    lease::Entity::delete_many()
        .filter(lease::Column::Name.eq(name))
        .filter(lease::Column::Owner.eq(instance_id()))
        .exec(db)
        .await
        .map(|_| ())
}

/// The holder and expiry of `name`, for telling a second claimant who has it.
pub async fn holder(
    db: &DatabaseConnection,
    name: &str,
) -> Result<Option<lease::Model>, sea_orm::DbErr> {
    lease::Entity::find_by_id(name.to_owned()).one(db).await
}

/// A lease held for as long as some work runs: renewed in the background at a third of its
/// length, released by [`Held::release`], and left to expire if the process dies.
pub struct Held {
    db: DatabaseConnection,
    name: String,
    renewer: tokio::task::JoinHandle<()>,
}

impl Held {
    /// Holds `name` if nobody else does.
    pub async fn try_take(
        db: &DatabaseConnection,
        name: &str,
        ttl: Duration,
    ) -> Result<Option<Self>, sea_orm::DbErr> {
        if !take(db, name, ttl).await? {
            return Ok(None);
        }
        let renewer = {
            let (db, name) = (db.clone(), name.to_owned());
            let every = (ttl / 3)
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(1));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match take(&db, &name, ttl).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(lease = name, "the lease went to another instance")
                        }
                        Err(error) => {
                            tracing::warn!(lease = name, error = %error, "a lease could not be renewed");
                        }
                    }
                }
            })
        };
        Ok(Some(Self {
            db: db.clone(),
            name: name.to_owned(),
            renewer,
        }))
    }

    pub async fn release(self) -> Result<(), sea_orm::DbErr> {
        self.renewer.abort();
        release(&self.db, &self.name).await
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
