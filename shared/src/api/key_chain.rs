//! A tenant-held tenant's key chain: the key pinned when it began holding its own keys, and
//! every change that lowers protection since, each signed by the tenant's key. See
//! `docs/tenant-held.md` and [`crate::key_chain`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The request headers that carry a signed statement: the statement's text and the RSA-PSS
/// signature over it, each in standard base64.
pub const STATEMENT_HEADER: &str = "Callvault-Statement";
pub const SIGNATURE_HEADER: &str = "Callvault-Signature";

/// A link of the chain. Only [`KeyChainAction::Pin`] is unsigned: it is the one
/// trust-on-first-use step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub enum KeyChainAction {
    /// The tenant began holding its own keys with this public key.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "pin"))]
    Pin,
    /// Another public key joins the tenant's keys.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "add_key"))]
    AddKey,
    /// The key seals new recordings, and signs the chain's next changes.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "activate_key"))]
    ActivateKey,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "retire_key"))]
    RetireKey,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "destroy_key"))]
    DestroyKey,
    /// New recordings are stored in plaintext from now on.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "encryption_off"))]
    EncryptionOff,
    /// The provider may hold private keys again: the chain ends here.
    #[cfg_attr(feature = "orm", sea_orm(string_value = "provider_held"))]
    ProviderHeld,
}

impl KeyChainAction {
    pub const SIGNED: [KeyChainAction; 6] = [
        Self::AddKey,
        Self::ActivateKey,
        Self::RetireKey,
        Self::DestroyKey,
        Self::EncryptionOff,
        Self::ProviderHeld,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::AddKey => "add_key",
            Self::ActivateKey => "activate_key",
            Self::RetireKey => "retire_key",
            Self::DestroyKey => "destroy_key",
            Self::EncryptionOff => "encryption_off",
            Self::ProviderHeld => "provider_held",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        std::iter::once(Self::Pin)
            .chain(Self::SIGNED)
            .find(|action| action.as_str() == name)
    }

    /// What the change does, in words for the person asked to sign it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pin => "pin the tenant's first public key",
            Self::AddKey => "add a public key to the tenant's keys",
            Self::ActivateKey => "make a key the one new recordings are sealed to",
            Self::RetireKey => "retire a key",
            Self::DestroyKey => "destroy a key",
            Self::EncryptionOff => "store new recordings unencrypted",
            Self::ProviderHeld => "let the provider hold the tenant's private keys again",
        }
    }
}

/// One link of a tenant's key chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyChainLink {
    /// 1 for the first link, one more for each next.
    pub seq: u64,
    pub action: KeyChainAction,
    /// The key the change is about (for the settings changes, the key that signed it).
    pub key_fingerprint: String,
    /// For `pin` and `add_key`: the key's public half, `PUBLIC KEY` PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_pem: Option<String>,
    /// The signed statement's exact text (absent for `pin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// RSA-PSS-SHA-256 over the statement's bytes, standard base64 (absent for `pin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The fingerprint of the key that signed it (absent for `pin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    pub at: DateTime<Utc>,
}

/// `GET …/keys/chain`: everything `callvault verify --chain` needs, offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyChain {
    pub tenant_id: Uuid,
    pub links: Vec<KeyChainLink>,
}

/// `POST …/keys/statements`: a statement for the tenant's key to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    pub action: KeyChainAction,
    /// The key the change is about; for `encryption_off` and `provider_held`, the tenant's
    /// active key.
    pub key_fingerprint: String,
}

/// A statement ready to sign, with its single-use nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementToSign {
    /// The exact text to sign (UTF-8, lines ending in LF).
    pub statement: String,
    pub nonce: String,
    /// After this the nonce is refused.
    pub expires_at: DateTime<Utc>,
}
