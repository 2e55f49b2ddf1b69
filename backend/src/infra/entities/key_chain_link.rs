use sea_orm::entity::prelude::*;

/// A link of a tenant-held tenant's key chain: the pinned key, or a change its key signed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_chain_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub action: callvault_shared::api::KeyChainAction,
    pub key_fingerprint: String,
    /// DER SubjectPublicKeyInfo, for `pin` and `add_key`.
    pub public_key: Option<Vec<u8>>,
    pub statement: Option<String>,
    pub signature: Option<Vec<u8>>,
    pub signed_by: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
