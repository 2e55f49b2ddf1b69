//! Retention and legal hold.
//!
//! - `retention_policies`: a tenant's policy, as JSON. A tenant without a row keeps everything
//!   forever, so existing tenants see no change. A shortened policy waits in `pending_policy`
//!   until `pending_from`, so that a mistaken change can be undone before anything goes.
//! - `legal_holds`: holds on recordings chosen by id or by a saved search, kept after their
//!   release for the record.
//! - `deleted_recordings`: the ids of recordings that were deleted (by retention, or by a person
//!   while no hold covered them), so that a restore never brings one back.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RetentionPolicies {
    Table,
    TenantId,
    Policy,
    PendingPolicy,
    PendingFrom,
    GraceDays,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum LegalHolds {
    Table,
    Id,
    TenantId,
    Name,
    Reason,
    Criteria,
    PlacedBy,
    PlacedAt,
    ReleasedBy,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum DeletedRecordings {
    Table,
    Id,
    TenantId,
    Sha256,
    Cause,
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetentionPolicies::Table)
                    .col(
                        ColumnDef::new(RetentionPolicies::TenantId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(RetentionPolicies::Policy).text().not_null())
                    .col(
                        ColumnDef::new(RetentionPolicies::PendingPolicy)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RetentionPolicies::PendingFrom)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RetentionPolicies::GraceDays)
                            .integer()
                            .not_null()
                            .default(7),
                    )
                    .col(
                        ColumnDef::new(RetentionPolicies::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RetentionPolicies::UpdatedBy)
                            .string_len(200)
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RetentionPolicies::Table, RetentionPolicies::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LegalHolds::Table)
                    .col(
                        ColumnDef::new(LegalHolds::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LegalHolds::TenantId).uuid().not_null())
                    .col(ColumnDef::new(LegalHolds::Name).string_len(200).not_null())
                    .col(ColumnDef::new(LegalHolds::Reason).text().not_null())
                    .col(ColumnDef::new(LegalHolds::Criteria).text().not_null())
                    .col(
                        ColumnDef::new(LegalHolds::PlacedBy)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LegalHolds::PlacedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LegalHolds::ReleasedBy)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(LegalHolds::ReleasedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LegalHolds::Table, LegalHolds::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_legal_holds_tenant")
                    .table(LegalHolds::Table)
                    .col(LegalHolds::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeletedRecordings::Table)
                    .col(
                        ColumnDef::new(DeletedRecordings::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DeletedRecordings::TenantId)
                            .uuid()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeletedRecordings::Sha256)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeletedRecordings::Cause)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeletedRecordings::DeletedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DeletedRecordings::Table.into_iden(),
            LegalHolds::Table.into_iden(),
            RetentionPolicies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
