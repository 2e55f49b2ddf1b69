use sea_orm::entity::prelude::*;

/// Background work (a rewrap) that any instance may run: the one holding an unexpired lease
/// does, and another takes over when the lease runs out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: callvault_shared::api::JobKind,
    pub state: callvault_shared::api::JobState,
    pub done: i64,
    pub total: i64,
    pub failed: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<ChronoDateTimeUtc>,
    pub error: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
