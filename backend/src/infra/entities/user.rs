use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    /// Argon2id, as a PHC string.
    pub password_hash: String,
    /// A [`callvault_shared::api::Role`] name.
    pub role: callvault_shared::api::Role,
    pub created_at: ChronoDateTimeUtc,
    /// The user key's public half (SubjectPublicKeyInfo DER): grants are sealed to it.
    pub public_key: Option<Vec<u8>>,
    /// The user key's private half (PKCS#8 DER), sealed under the user's password.
    pub sealed_private_key: Option<Vec<u8>>,
    pub password_changed_at: Option<ChronoDateTimeUtc>,
}

// No derived Debug: a password hash has no business in a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id"
    )]
    Tenant,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Model {
    pub fn to_api(&self) -> callvault_shared::api::User {
        callvault_shared::api::User {
            id: self.id,
            tenant_id: self.tenant_id,
            username: self.username.clone(),
            role: self.role,
            created_at: self.created_at,
            key_fingerprint: self
                .public_key
                .as_deref()
                .map(|spki| callvault_shared::keys::Fingerprint::of_spki(spki).to_hex()),
        }
    }
}

impl ActiveModelBehavior for ActiveModel {}
