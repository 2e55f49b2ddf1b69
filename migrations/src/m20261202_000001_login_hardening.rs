//! Sign-in hardening. Usernames become unique whatever their case, so that `ROOT` can never
//! stand beside `root` (the login matches names case-insensitively, and a look-alike account
//! could otherwise share or clear the real one's guessing budget). The throttle's table is
//! replaced: it now keeps each subject's recent failures as a list of times, so that a limit
//! holds over any 15 minutes rather than per fixed window, and counts the attempts refused
//! while a lock lasts instead of writing an audit record for each. Its rows are short-lived
//! counters, so nothing is carried over.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Subject,
    Failures,
    LockedSince,
    Refused,
    UpdatedAt,
    FirstFailureAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    ActorId,
    At,
}

const LOWER_USERNAME_INDEX: &str = "users_username_lower_unique";
const AUDIT_BY_ACTOR_INDEX: &str = "audit_events_by_actor";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        refuse_case_collisions(manager).await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {LOWER_USERNAME_INDEX} ON users (lower(username))"
            ))
            .await?;

        manager
            .drop_table(Table::drop().table(LoginThrottle::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Subject)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginThrottle::Failures).text().not_null())
                    .col(
                        ColumnDef::new(LoginThrottle::LockedSince)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(LoginThrottle::Refused)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(LoginThrottle::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        // The sweeper forgets subjects untouched for a while by this.
        manager
            .create_index(
                Index::create()
                    .name("login_throttle_by_updated_at")
                    .table(LoginThrottle::Table)
                    .col(LoginThrottle::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        // Failed sign-ins are read back from an account's audit records.
        manager
            .create_index(
                Index::create()
                    .name(AUDIT_BY_ACTOR_INDEX)
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ActorId)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX {LOWER_USERNAME_INDEX}"))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(AUDIT_BY_ACTOR_INDEX)
                    .table(AuditEvents::Table)
                    .to_owned(),
            )
            .await?;
        // The previous shape of the throttle, empty as the upgrade left it.
        manager
            .drop_table(Table::drop().table(LoginThrottle::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Subject)
                            .string_len(200)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                    .col(
                        ColumnDef::new(LoginThrottle::FirstFailureAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginThrottle::LockedUntil)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }
}

/// Stops the upgrade, naming every group of usernames that differ only in case: which one
/// keeps its name is the operator's call, not the migration's.
async fn refuse_case_collisions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let rows = connection
        .query_all_raw(Statement::from_string(
            connection.get_database_backend(),
            "SELECT username FROM users ORDER BY username",
        ))
        .await?;
    let mut by_lower = std::collections::BTreeMap::<String, Vec<String>>::new();
    for row in rows {
        let username: String = row.try_get("", "username")?;
        by_lower
            .entry(username.to_lowercase())
            .or_default()
            .push(username);
    }
    let collisions: Vec<String> = by_lower
        .into_values()
        .filter(|names| names.len() > 1)
        .map(|names| names.join(" = "))
        .collect();
    if collisions.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "usernames must now be unique whatever their case, and these differ only in case: {}; \
         rename or remove all but one of each with the previous version, then upgrade",
        collisions.join(", ")
    )))
}
