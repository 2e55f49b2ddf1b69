//! A tenant-held tenant's key chain: the public key pinned when it began holding its own keys,
//! then each change that lowers protection, with the statement the tenant's key signed. And
//! the single-use nonces those statements carry.
//!
//! Tenants already holding their own keys get their active key pinned here: the upgrade is
//! their trust-on-first-use step, as the switch is for every later one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum KeyChainLinks {
    Table,
    TenantId,
    Seq,
    Action,
    KeyFingerprint,
    PublicKey,
    Statement,
    Signature,
    SignedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum KeyChangeNonces {
    Table,
    Nonce,
    TenantId,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyChainLinks::Table)
                    .col(ColumnDef::new(KeyChainLinks::TenantId).uuid().not_null())
                    .col(ColumnDef::new(KeyChainLinks::Seq).big_integer().not_null())
                    .col(ColumnDef::new(KeyChainLinks::Action).string().not_null())
                    .col(
                        ColumnDef::new(KeyChainLinks::KeyFingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(KeyChainLinks::PublicKey).binary())
                    .col(ColumnDef::new(KeyChainLinks::Statement).text())
                    .col(ColumnDef::new(KeyChainLinks::Signature).binary())
                    .col(ColumnDef::new(KeyChainLinks::SignedBy).string_len(64))
                    .col(
                        ColumnDef::new(KeyChainLinks::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(KeyChainLinks::TenantId)
                            .col(KeyChainLinks::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyChainLinks::Table, KeyChainLinks::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KeyChangeNonces::Table)
                    .col(
                        ColumnDef::new(KeyChangeNonces::Nonce)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(KeyChangeNonces::TenantId).uuid().not_null())
                    .col(
                        ColumnDef::new(KeyChangeNonces::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyChangeNonces::Table, KeyChangeNonces::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO key_chain_links (tenant_id, seq, action, key_fingerprint, public_key, created_at) \
                 SELECT t.id, 1, 'pin', k.fingerprint, k.public_key, k.created_at \
                 FROM tenants t JOIN encryption_keys k ON k.id = t.active_key_id \
                 WHERE t.key_mode = 'tenant_held' AND k.origin = 'public_only'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KeyChangeNonces::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(KeyChainLinks::Table).to_owned())
            .await
    }
}
