use sea_orm::entity::prelude::*;

/// A legal hold: the recordings its criteria (`HoldCriteria` as JSON) cover are never deleted
/// while it is in force. A released hold stays, for the record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_holds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub reason: String,
    pub criteria: String,
    pub placed_by: String,
    pub placed_at: ChronoDateTimeUtc,
    pub released_by: Option<String>,
    pub released_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
