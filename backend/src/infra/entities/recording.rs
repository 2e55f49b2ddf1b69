use sea_orm::entity::prelude::*;

/// A recording's catalogue entry. Its bytes are in the object store under `object_key`; the
/// row is written only after they are, so a listed recording always has its bytes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recordings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub object_key: String,
    pub content_type: String,
    /// The audio's own size.
    pub size_bytes: i64,
    /// What the object store holds (sealed: header and chunk tags included).
    pub stored_bytes: i64,
    /// SHA-256 of the audio, lowercase hex.
    pub sha256: String,
    pub sealed: bool,
    pub key_id: Option<Uuid>,
    /// SHA-256 of the sealing key's SubjectPublicKeyInfo, lowercase hex.
    pub key_fingerprint: Option<String>,
    pub started_at: Option<ChronoDateTimeUtc>,
    pub duration_ms: Option<i64>,
    pub direction: Option<callvault_shared::api::Direction>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    pub agent: Option<String>,
    pub external_id: Option<String>,
    /// A JSON array of strings.
    pub tags: String,
    pub created_at: ChronoDateTimeUtc,
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
