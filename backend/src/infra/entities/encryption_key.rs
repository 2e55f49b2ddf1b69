use sea_orm::entity::prelude::*;

/// An encryption key: an RSA key pair of one tenant. Only the public half is here; the private
/// half exists only inside grants, or (tenant-held keys) nowhere on the server.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "encryption_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// SHA-256 of the SubjectPublicKeyInfo DER, lowercase hex.
    pub fingerprint: String,
    pub bits: i32,
    /// A [`callvault_shared::api::KeyOrigin`] name.
    pub origin: callvault_shared::api::KeyOrigin,
    /// A [`callvault_shared::api::KeyState`] name.
    pub state: callvault_shared::api::KeyState,
    pub public_key: Vec<u8>,
    pub created_at: ChronoDateTimeUtc,
    pub created_by: Option<Uuid>,
    pub exported_at: Option<ChronoDateTimeUtc>,
    pub retired_at: Option<ChronoDateTimeUtc>,
    pub destroyed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
