//! The schema of callvault's database. Migrations only ever append: a released migration is
//! never edited, so that every instance of a cluster agrees on what version N means.

// sea-orm-migration declares its trait with `&SchemaManager` (lifetime elided), and an impl
// that names the lifetime no longer matches it.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261128_000001_tenants_and_users;
mod m20261129_000001_sessions_keys_audit;
mod m20261129_000002_keys_and_recordings;
mod m20261129_000003_api_tokens;
mod m20261129_000004_leases;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_tenants_and_users::Migration),
            Box::new(m20261129_000001_sessions_keys_audit::Migration),
            Box::new(m20261129_000002_keys_and_recordings::Migration),
            Box::new(m20261129_000003_api_tokens::Migration),
            Box::new(m20261129_000004_leases::Migration),
        ]
    }
}
