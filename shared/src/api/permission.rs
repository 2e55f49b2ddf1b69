use std::fmt;

use serde::{Deserialize, Serialize};

use super::Role;

/// What a route needs beyond a signed-in principal who may see the tenant. The matrix of
/// [`Role::allows`] is the product's permission model: `docs/permissions.md` is generated from
/// it, and the integration tests walk every route against it.
///
/// A permission never opens a key: playing a recording also takes a grant on its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the tenant itself (its name and settings).
    TenantRead,
    /// Create tenants. Provider-wide, not within a tenant.
    TenantCreate,
    /// Rename the tenant and change its settings.
    TenantUpdate,
    /// List the tenant's users and see their roles.
    UsersRead,
    /// Create, change, delete users and reset their passwords.
    UsersManage,
    /// Read, verify and export the tenant's audit log.
    AuditRead,
    /// See the tenant's keys, their holders and encryption settings; fetch public keys.
    KeysRead,
    /// Create, import, activate, retire, destroy keys; grant and revoke (a grant also takes
    /// holding one); change the encryption settings; re-wrap recordings.
    KeysManage,
    /// Upload recordings, and import archives (which adds recordings like an upload does).
    RecordingsUpload,
    /// List and search recordings, read their metadata.
    RecordingsRead,
    /// Play and download recordings (a sealed one also takes a grant on its key).
    RecordingsPlay,
    /// Change recordings' metadata and delete recordings.
    RecordingsManage,
    /// Download recordings as a sealed archive.
    RecordingsExport,
    /// List, create and revoke the tenant's API tokens.
    TokensManage,
    /// Place and release legal holds, and list them. Not provider staff's: a hold is the
    /// tenant's legal matter, and releasing one lets recordings be deleted.
    HoldsManage,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::TenantRead,
        Permission::TenantCreate,
        Permission::TenantUpdate,
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::AuditRead,
        Permission::KeysRead,
        Permission::KeysManage,
        Permission::RecordingsUpload,
        Permission::RecordingsRead,
        Permission::RecordingsPlay,
        Permission::RecordingsManage,
        Permission::RecordingsExport,
        Permission::TokensManage,
        Permission::HoldsManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::TenantRead => "tenant_read",
            Permission::TenantCreate => "tenant_create",
            Permission::TenantUpdate => "tenant_update",
            Permission::UsersRead => "users_read",
            Permission::UsersManage => "users_manage",
            Permission::AuditRead => "audit_read",
            Permission::KeysRead => "keys_read",
            Permission::KeysManage => "keys_manage",
            Permission::RecordingsUpload => "recordings_upload",
            Permission::RecordingsRead => "recordings_read",
            Permission::RecordingsPlay => "recordings_play",
            Permission::RecordingsManage => "recordings_manage",
            Permission::RecordingsExport => "recordings_export",
            Permission::TokensManage => "tokens_manage",
            Permission::HoldsManage => "holds_manage",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Permission::TenantRead => "see the tenant",
            Permission::TenantCreate => "create tenants (provider-wide)",
            Permission::TenantUpdate => "rename the tenant, change its settings",
            Permission::UsersRead => "list users and their roles",
            Permission::UsersManage => "create, change and delete users; reset passwords",
            Permission::AuditRead => "read, verify and export the audit log",
            Permission::KeysRead => "see keys, their holders and the encryption settings",
            Permission::KeysManage => {
                "create, import, activate, retire, destroy keys; grant (holding the key) and revoke (no grant needed); encryption settings; rewrap"
            }
            Permission::RecordingsUpload => "upload recordings, import archives",
            Permission::RecordingsRead => "list and search recordings, read their metadata",
            Permission::RecordingsPlay => "play and download recordings (sealed: with a grant)",
            Permission::RecordingsManage => "change recordings' metadata, delete recordings",
            Permission::RecordingsExport => "download sealed archives",
            Permission::TokensManage => "list, create and revoke API tokens",
            Permission::HoldsManage => "place, list and release legal holds",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Role {
    /// The permission matrix. Provider staff hold their permissions in every tenant; everyone
    /// else only in their own.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Root | Role::ProviderAdmin => !matches!(permission, HoldsManage),
            Role::TenantAdmin => !matches!(permission, TenantCreate),
            Role::Supervisor => matches!(
                permission,
                TenantRead | KeysRead | RecordingsRead | RecordingsPlay | RecordingsExport
            ),
            Role::User => matches!(permission, TenantRead | RecordingsUpload | RecordingsRead),
            // A compliance officer places holds without any power to delete or play.
            Role::Auditor => matches!(permission, TenantRead | AuditRead | HoldsManage),
        }
    }

    /// Roles this role may give to users it creates or changes. Provider roles are given only
    /// by root and only in the System account.
    pub fn may_assign(self, role: Role) -> bool {
        match self {
            Role::Root => true,
            Role::ProviderAdmin => !matches!(role, Role::Root),
            Role::TenantAdmin => !role.is_provider_staff(),
            Role::Supervisor | Role::User | Role::Auditor => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_name(permission.as_str()), Some(permission));
            let json = serde_json::to_string(&permission).expect("serializes");
            assert_eq!(json, format!("\"{permission}\""));
        }
    }

    #[test]
    fn only_provider_staff_create_tenants_and_only_root_makes_root() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::TenantCreate),
                role.is_provider_staff()
            );
            assert_eq!(role.may_assign(Role::Root), role == Role::Root);
        }
    }
}
