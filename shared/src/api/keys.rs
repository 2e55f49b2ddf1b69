use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An encryption key as the API shows it: never private key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EncryptionKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// SHA-256 of the public key's SubjectPublicKeyInfo DER, lowercase hex: what
    /// `callvault inspect` prints for a sealed file's key slots.
    pub fingerprint: String,
    pub bits: u32,
    pub origin: KeyOrigin,
    pub state: KeyState,
    /// Whether new recordings are sealed with it.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// When its private half was last exported (the check-list's "exported").
    pub exported_at: Option<DateTime<Utc>>,
    /// Users who hold a grant on it.
    pub holders: Vec<KeyHolder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyHolder {
    pub user_id: Uuid,
    pub username: String,
    pub granted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum KeyOrigin {
    /// Made by the server; its private half lives only in grants.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "generated"))]
    Generated,
    /// A private key file someone brought.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "imported"))]
    Imported,
    /// Only the public half: tenant-held, nobody at the provider can open what it seals.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "public_only"))]
    PublicOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum KeyState {
    /// Usable; the tenant's active key seals new recordings.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "active"))]
    Active,
    /// Opens what it sealed, never seals again.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "retired"))]
    Retired,
    /// Crypto-shredded: every grant is gone and what it alone sealed is unrecoverable here.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "destroyed"))]
    Destroyed,
}

macro_rules! names {
    ($type:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $type {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

names!(KeyOrigin { Generated => "generated", Imported => "imported", PublicOnly => "public_only" });
names!(KeyState { Active => "active", Retired => "retired", Destroyed => "destroyed" });
names!(KeyMode { ProviderHeld => "provider_held", TenantHeld => "tenant_held" });

/// `POST /api/v1/tenants/{tenant}/keys`: generate, or import a private key file, or import a
/// public key alone.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged, deny_unknown_fields)]
pub enum NewKey {
    Generate {
        /// 2048, 3072 (the default) or 4096.
        bits: u32,
        /// Provider staff creating a tenant's key name the tenant user who receives the first
        /// grant (grants are held only within the key's tenant).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grant_to: Option<Uuid>,
    },
    ImportPrivate {
        /// PKCS#8 (plain or encrypted) or PKCS#1, PEM.
        private_key_pem: String,
        /// For an encrypted file.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passphrase: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        grant_to: Option<Uuid>,
    },
    ImportPublic {
        /// SubjectPublicKeyInfo or PKCS#1 public key, PEM.
        public_key_pem: String,
    },
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewKey::Generate { bits, .. } => write!(f, "NewKey::Generate({bits})"),
            NewKey::ImportPrivate { .. } => f.write_str("NewKey::ImportPrivate(<redacted>)"),
            NewKey::ImportPublic { .. } => f.write_str("NewKey::ImportPublic"),
        }
    }
}

/// Key files are protected by passphrases of at least this many characters: an exported key,
/// a key pair made in the browser, and the command line's `keygen`. (The OpenAPI attribute on
/// [`KeyExport::passphrase`] repeats it as a literal, which utoipa requires.)
pub const MIN_EXPORT_PASSPHRASE: usize = 12;

/// `POST …/keys/{id}/export`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyExport {
    /// Protects the exported file; at least 12 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 12))]
    pub passphrase: String,
}

impl std::fmt::Debug for KeyExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyExport(<redacted>)")
    }
}

/// `POST …/keys/{id}/grants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub user_id: Uuid,
}

/// `POST …/keys/{id}/destroy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyDestroy {
    /// Must be true when recordings depend on the key: they become unrecoverable here.
    #[serde(default)]
    pub recordings_become_unrecoverable: bool,
}

/// What destroying did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyDestroyed {
    pub key: EncryptionKey,
    pub grants_removed: u64,
    /// Recordings sealed only to this key: no longer playable on this server.
    pub recordings_unrecoverable: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum KeyMode {
    /// The provider holds private keys (as grants) and plays recordings back.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "provider_held"))]
    ProviderHeld,
    /// The tenant gives only public keys; playback happens on the tenant's side.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "tenant_held"))]
    TenantHeld,
}

/// `GET /api/v1/tenants/{tenant}/encryption`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EncryptionSettings {
    pub enabled: bool,
    pub mode: KeyMode,
    pub active_key_id: Option<Uuid>,
    pub checklist: Checklist,
    /// While a tenant that began holding its own keys still has recordings stored in plaintext:
    /// the job sealing them to its pinned key, with its progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealing: Option<Job>,
}

/// The original product's configuration check-list, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checklist {
    pub key_present: bool,
    /// Tenant-held keys count as exported: their private half never was on the server.
    pub key_exported: bool,
    pub grants_present: bool,
    pub encryption_on: bool,
}

/// `PATCH /api/v1/tenants/{tenant}/encryption`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EncryptionUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<KeyMode>,
}

/// Where a background job is: waiting for an instance, being worked on, or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "orm", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "orm",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum JobState {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "queued"))]
    Queued,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "done"))]
    Done,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "failed"))]
    Failed,
}

names!(JobState { Queued => "queued", Running => "running", Done => "done", Failed => "failed" });

/// A background job, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `rewrap`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub done: u64,
    pub total: u64,
    /// Items that could not be processed (named in the audit log).
    pub failed: u64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
