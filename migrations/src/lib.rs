//! The schema of callvault's database. Migrations only ever append: a released migration is
//! never edited, so that every instance of a cluster agrees on what version N means.

// sea-orm-migration declares its trait with `&SchemaManager` (lifetime elided), and an impl
// that names the lifetime no longer matches it.
#![allow(elided_lifetimes_in_paths)]

use sea_orm_migration::prelude::*;
pub use sea_orm_migration::{MigratorTrait, SchemaManager};

mod m20261128_000001_tenants_and_users;
mod m20261129_000001_sessions_keys_audit;
mod m20261129_000002_keys_and_recordings;
mod m20261129_000003_api_tokens;
mod m20261129_000004_leases;
mod m20261201_000001_idempotency_keys;
mod m20261201_000002_key_chain;
mod m20261202_000001_login_hardening;
mod m20261203_000001_access_epoch;
mod m20261206_000001_retention;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            atomic(m20261128_000001_tenants_and_users::Migration),
            atomic(m20261129_000001_sessions_keys_audit::Migration),
            atomic(m20261129_000002_keys_and_recordings::Migration),
            atomic(m20261129_000003_api_tokens::Migration),
            atomic(m20261129_000004_leases::Migration),
            atomic(m20261201_000001_idempotency_keys::Migration),
            atomic(m20261201_000002_key_chain::Migration),
            atomic(m20261202_000001_login_hardening::Migration),
            atomic(m20261203_000001_access_epoch::Migration),
            atomic(m20261206_000001_retention::Migration),
        ]
    }
}

/// `migration`, applied in one transaction together with the record that it was applied.
///
/// sea-orm-migration does that by itself on PostgreSQL only. SQLite's DDL is transactional
/// too, but left to the default each statement commits on its own: a process killed halfway
/// through a migration left tables that the next start tried to create again, and the data
/// directory could never start again. Wrapping every migration here, rather than setting
/// `use_transaction` in each file, means a new migration cannot forget it.
fn atomic(migration: impl MigrationTrait + 'static) -> Box<dyn MigrationTrait> {
    Box::new(Atomic(migration))
}

struct Atomic<M>(M);

impl<M: MigrationName> MigrationName for Atomic<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: MigrationTrait> MigrationTrait for Atomic<M> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
