//! What provider staff get of a tenant-held tenant's recordings stored in plaintext (before
//! the sealing job reaches them, or after the tenant signed encryption off): nothing.

use callvault_shared::api::KeyMode;

use crate::domain::error::DomainError;
use crate::infra::entities::tenant;

/// Refuses provider staff any unencrypted recording of a tenant that holds its own keys:
/// played, downloaded or exported.
pub fn refuse_plaintext_to_staff(
    tenant: &tenant::Model,
    provider_staff: bool,
) -> Result<(), DomainError> {
    if provider_staff && tenant.key_mode == KeyMode::TenantHeld {
        return Err(DomainError::Refused(
            "this tenant holds its own keys: provider staff get none of its recordings unencrypted (its plaintext recordings are being sealed to its key)".into(),
        ));
    }
    Ok(())
}
