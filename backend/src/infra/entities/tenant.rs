use sea_orm::entity::prelude::*;

/// A tenant of the provider. The System account is the tenant with slug [`SYSTEM_SLUG`].
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub created_at: ChronoDateTimeUtc,
    /// The audit chain's head: how many records it has and the last one's hash. Kept here so
    /// that deleting the newest records is as detectable as deleting any other.
    pub audit_seq: i64,
    pub audit_head: Option<Vec<u8>>,
    /// Whether new recordings are sealed (with the active key).
    pub encryption_enabled: bool,
    /// Who holds the private keys.
    pub key_mode: callvault_shared::api::KeyMode,
    /// The key new recordings are sealed with.
    pub active_key_id: Option<Uuid>,
}

pub const SYSTEM_SLUG: &str = "system";

impl Model {
    pub fn is_system(&self) -> bool {
        self.slug == SYSTEM_SLUG
    }

    pub fn to_api(&self) -> callvault_shared::api::Tenant {
        callvault_shared::api::Tenant {
            id: self.id,
            slug: self.slug.clone(),
            name: self.name.clone(),
            system: self.is_system(),
            created_at: self.created_at,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user::Entity")]
    Users,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
