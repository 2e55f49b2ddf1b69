use sea_orm::entity::prelude::*;

/// The answer an upload or import with an `Idempotency-Key` gave, kept for a day so that a
/// retry gets it again rather than making a second copy.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The user who sent it (an API token's user): keys are per user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The audit action of the operation the key was first used for.
    pub operation: String,
    /// SHA-256 of what the request sent, lowercase hex: the same key with other content is
    /// refused rather than answered with another request's result.
    pub fingerprint: String,
    pub status: i16,
    /// The JSON body of the first answer.
    pub response: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
