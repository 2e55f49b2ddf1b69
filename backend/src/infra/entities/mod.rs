//! sea-orm entities: one file per table.

pub mod api_token;
pub mod audit_event;
pub mod deleted_recording;
pub mod encryption_key;
pub mod idempotency_key;
pub mod job;
pub mod key_chain_link;
pub mod key_change_nonce;
pub mod key_grant;
pub mod lease;
pub mod legal_hold;
pub mod login_throttle;
pub mod recording;
pub mod retention_policy;
pub mod server_secret;
pub mod session;
pub mod tenant;
pub mod user;

/// A table whose rows belong to one tenant, found by a UUID primary key.
pub trait TenantOwned: sea_orm::EntityTrait {
    /// What a row is called in messages ("no recording … in this tenant").
    const NOUN: &'static str;
    fn tenant_column() -> Self::Column;
}

impl TenantOwned for recording::Entity {
    const NOUN: &'static str = "recording";
    fn tenant_column() -> Self::Column {
        recording::Column::TenantId
    }
}

impl TenantOwned for user::Entity {
    const NOUN: &'static str = "user";
    fn tenant_column() -> Self::Column {
        user::Column::TenantId
    }
}

impl TenantOwned for encryption_key::Entity {
    const NOUN: &'static str = "key";
    fn tenant_column() -> Self::Column {
        encryption_key::Column::TenantId
    }
}
