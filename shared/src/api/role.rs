use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a user may do. Provider roles (`root`, `provider_admin`) belong to the System account;
/// the others to a tenant. A role alone never opens a key: that takes a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
pub enum Role {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "root"))]
    Root,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "provider_admin"))]
    ProviderAdmin,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "tenant_admin"))]
    TenantAdmin,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "supervisor"))]
    Supervisor,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "user"))]
    User,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "auditor"))]
    Auditor,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Root,
        Role::ProviderAdmin,
        Role::TenantAdmin,
        Role::Supervisor,
        Role::User,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::ProviderAdmin => "provider_admin",
            Role::TenantAdmin => "tenant_admin",
            Role::Supervisor => "supervisor",
            Role::User => "user",
            Role::Auditor => "auditor",
        }
    }

    /// The role's name for people, as screens show it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Root => "Root",
            Role::ProviderAdmin => "Provider administrator",
            Role::TenantAdmin => "Tenant administrator",
            Role::Supervisor => "Supervisor",
            Role::User => "User (uploads)",
            Role::Auditor => "Auditor",
        }
    }

    /// Roles of the provider's staff, who may act in any tenant.
    pub fn is_provider_staff(self) -> bool {
        matches!(self, Role::Root | Role::ProviderAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role {:?}", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name_and_json() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).expect("serializes");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert!("superuser".parse::<Role>().is_err());
    }
}
