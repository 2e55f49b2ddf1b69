use sea_orm::entity::prelude::*;

/// A tenant's retention policy; a tenant without a row keeps everything forever. The policies
/// are `RetentionPolicy` as JSON; a shortened one waits in `pending_policy` until
/// `pending_from`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub policy: String,
    pub pending_policy: Option<String>,
    pub pending_from: Option<ChronoDateTimeUtc>,
    pub grace_days: i32,
    pub updated_at: ChronoDateTimeUtc,
    /// Who changed it last, by name (as the audit log names actors).
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
