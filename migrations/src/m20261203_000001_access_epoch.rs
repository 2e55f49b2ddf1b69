//! A counter that moves whenever access may have become narrower: a session or API token
//! ended or changed, a user changed, a key or a grant changed or went, a recording changed or
//! went, a tenant's settings changed. Instances keep what they read about sessions, tenants,
//! recordings, keys and grants in memory, and drop all of it when they see this counter move
//! (they read it twice a second, and at once after a change of their own).
//!
//! Triggers move it, not the code that makes the changes: a new way to revoke something
//! cannot forget to. New rows (a sign-in, an upload, a grant) do not move it, because
//! nothing absent is ever kept; nor do the columns written on every request (a session's last
//! use, a tenant's audit head), which would empty every cache many times a second.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table, with its one row.
const TABLE: &str = "access_epoch";
const FUNCTION: &str = "callvault_access_changed";

/// Each watched table, and the columns whose change narrows access (`None`: any column).
const WATCHED: [(&str, Option<&[&str]>); 7] = [
    (
        "sessions",
        Some(&["user_id", "secret_hash", "sealed_user_key", "expires_at"]),
    ),
    (
        "api_tokens",
        Some(&[
            "tenant_id",
            "user_id",
            "scopes",
            "secret_hash",
            "sealed_user_key",
            "expires_at",
        ]),
    ),
    ("users", None),
    (
        "tenants",
        Some(&[
            "slug",
            "name",
            "encryption_enabled",
            "key_mode",
            "active_key_id",
        ]),
    ),
    ("encryption_keys", None),
    ("key_grants", None),
    ("recordings", None),
];

const BUMP: &str = "UPDATE access_epoch SET epoch = epoch + 1 WHERE id = 1";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE {TABLE} (id integer NOT NULL PRIMARY KEY, epoch bigint NOT NULL)"
        ))
        .await?;
        db.execute_unprepared(&format!("INSERT INTO {TABLE} (id, epoch) VALUES (1, 0)"))
            .await?;
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        if postgres {
            db.execute_unprepared(&format!(
                "CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN {BUMP}; RETURN NULL; END $$"
            ))
            .await?;
        }
        for (table, columns) in WATCHED {
            let update = match columns {
                Some(columns) => format!("UPDATE OF {}", columns.join(", ")),
                None => "UPDATE".to_owned(),
            };
            for (event, name) in [("DELETE", "deleted"), (update.as_str(), "updated")] {
                let trigger = format!("{table}_{name}_moves_access_epoch");
                let sql = if postgres {
                    format!(
                        "CREATE TRIGGER {trigger} AFTER {event} ON {table} \
                         FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
                    )
                } else {
                    format!(
                        "CREATE TRIGGER {trigger} AFTER {event} ON {table} \
                         FOR EACH ROW BEGIN {BUMP}; END"
                    )
                };
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for (table, _) in WATCHED {
            for name in ["deleted", "updated"] {
                let trigger = format!("{table}_{name}_moves_access_epoch");
                let sql = if postgres {
                    format!("DROP TRIGGER {trigger} ON {table}")
                } else {
                    format!("DROP TRIGGER {trigger}")
                };
                db.execute_unprepared(&sql).await?;
            }
        }
        if postgres {
            db.execute_unprepared(&format!("DROP FUNCTION {FUNCTION}()"))
                .await?;
        }
        db.execute_unprepared(&format!("DROP TABLE {TABLE}"))
            .await?;
        Ok(())
    }
}
