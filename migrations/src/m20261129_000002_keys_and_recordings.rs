//! Encryption keys and the grants that hold their private halves, each tenant's encryption
//! settings, recordings, and background jobs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    EncryptionEnabled,
    KeyMode,
    ActiveKeyId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EncryptionKeys {
    Table,
    Id,
    TenantId,
    Fingerprint,
    Bits,
    Origin,
    State,
    PublicKey,
    CreatedAt,
    CreatedBy,
    ExportedAt,
    RetiredAt,
    DestroyedAt,
}

#[derive(DeriveIden)]
enum KeyGrants {
    Table,
    KeyId,
    UserId,
    TenantId,
    SealedPrivateKey,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Recordings {
    Table,
    Id,
    TenantId,
    ObjectKey,
    ContentType,
    SizeBytes,
    StoredBytes,
    Sha256,
    Sealed,
    KeyId,
    KeyFingerprint,
    StartedAt,
    DurationMs,
    Direction,
    Caller,
    Callee,
    Agent,
    ExternalId,
    Tags,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    TenantId,
    Kind,
    State,
    Done,
    Total,
    Failed,
    LeaseOwner,
    LeaseExpiresAt,
    Error,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn optional_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Tenants::EncryptionEnabled)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Tenants::KeyMode)
                .string_len(16)
                .not_null()
                .default("provider_held")
                .to_owned(),
            // No foreign key: SQLite cannot add one to an existing table; the keys' own
            // foreign key to the tenant and the code keep it consistent.
            ColumnDef::new(Tenants::ActiveKeyId)
                .uuid()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(EncryptionKeys::Table)
                    .col(
                        ColumnDef::new(EncryptionKeys::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EncryptionKeys::TenantId).uuid().not_null())
                    .col(
                        ColumnDef::new(EncryptionKeys::Fingerprint)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EncryptionKeys::Bits).integer().not_null())
                    .col(
                        ColumnDef::new(EncryptionKeys::Origin)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EncryptionKeys::State)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EncryptionKeys::PublicKey)
                            .binary()
                            .not_null(),
                    )
                    .col(timestamp(EncryptionKeys::CreatedAt))
                    .col(ColumnDef::new(EncryptionKeys::CreatedBy).uuid().null())
                    .col(optional_timestamp(EncryptionKeys::ExportedAt))
                    .col(optional_timestamp(EncryptionKeys::RetiredAt))
                    .col(optional_timestamp(EncryptionKeys::DestroyedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EncryptionKeys::Table, EncryptionKeys::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("encryption_keys_by_tenant_fingerprint")
                    .table(EncryptionKeys::Table)
                    .col(EncryptionKeys::TenantId)
                    .col(EncryptionKeys::Fingerprint)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KeyGrants::Table)
                    .col(ColumnDef::new(KeyGrants::KeyId).uuid().not_null())
                    .col(ColumnDef::new(KeyGrants::UserId).uuid().not_null())
                    .col(ColumnDef::new(KeyGrants::TenantId).uuid().not_null())
                    .col(
                        ColumnDef::new(KeyGrants::SealedPrivateKey)
                            .binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(KeyGrants::GrantedBy).uuid().null())
                    .col(timestamp(KeyGrants::CreatedAt))
                    .primary_key(Index::create().col(KeyGrants::KeyId).col(KeyGrants::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyGrants::Table, KeyGrants::KeyId)
                            .to(EncryptionKeys::Table, EncryptionKeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyGrants::Table, KeyGrants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Recordings::Table)
                    .col(
                        ColumnDef::new(Recordings::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Recordings::TenantId).uuid().not_null())
                    .col(
                        ColumnDef::new(Recordings::ObjectKey)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Recordings::ContentType)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Recordings::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Recordings::StoredBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Recordings::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(Recordings::Sealed).boolean().not_null())
                    .col(ColumnDef::new(Recordings::KeyId).uuid().null())
                    // The key it is sealed to, even before that key is in this instance (an
                    // imported archive): the key is linked by fingerprint when it arrives.
                    .col(
                        ColumnDef::new(Recordings::KeyFingerprint)
                            .string_len(64)
                            .null(),
                    )
                    .col(optional_timestamp(Recordings::StartedAt))
                    .col(ColumnDef::new(Recordings::DurationMs).big_integer().null())
                    .col(ColumnDef::new(Recordings::Direction).string_len(16).null())
                    .col(ColumnDef::new(Recordings::Caller).string_len(200).null())
                    .col(ColumnDef::new(Recordings::Callee).string_len(200).null())
                    .col(ColumnDef::new(Recordings::Agent).string_len(200).null())
                    .col(
                        ColumnDef::new(Recordings::ExternalId)
                            .string_len(200)
                            .null(),
                    )
                    .col(ColumnDef::new(Recordings::Tags).text().not_null())
                    .col(timestamp(Recordings::CreatedAt))
                    .col(ColumnDef::new(Recordings::CreatedBy).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recordings::Table, Recordings::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recordings::Table, Recordings::KeyId)
                            .to(EncryptionKeys::Table, EncryptionKeys::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("recordings_by_tenant_start", Recordings::StartedAt),
            ("recordings_by_tenant_key", Recordings::KeyId),
            ("recordings_by_tenant_external_id", Recordings::ExternalId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Recordings::Table)
                        .col(Recordings::TenantId)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(ColumnDef::new(Jobs::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Jobs::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Jobs::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Jobs::State).string_len(16).not_null())
                    .col(ColumnDef::new(Jobs::Done).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::Total).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::Failed).big_integer().not_null())
                    .col(ColumnDef::new(Jobs::LeaseOwner).string_len(64).null())
                    .col(optional_timestamp(Jobs::LeaseExpiresAt))
                    .col(ColumnDef::new(Jobs::Error).text().null())
                    .col(ColumnDef::new(Jobs::CreatedBy).uuid().null())
                    .col(timestamp(Jobs::CreatedAt))
                    .col(timestamp(Jobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            Recordings::Table.into_iden(),
            KeyGrants::Table.into_iden(),
            EncryptionKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Tenants::EncryptionEnabled.into_iden(),
            Tenants::KeyMode.into_iden(),
            Tenants::ActiveKeyId.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
