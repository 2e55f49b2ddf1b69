use sea_orm::entity::prelude::*;

/// A recording that was deleted (by its retention policy, or by a person while no hold covered
/// it): a restore never brings it back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deleted_recordings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub sha256: String,
    /// `retention` or `deleted`.
    pub cause: String,
    pub deleted_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
