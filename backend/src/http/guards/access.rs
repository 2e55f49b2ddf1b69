//! Guards: a handler names the permission it needs in its signature, and the request reaches
//! it only with a principal who may see the tenant in the path and whose role allows it.
//!
//! A tenant the principal may not see answers exactly like one that does not exist (404),
//! before any permission is considered, so that probing learns nothing about other tenants.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use callvault_shared::api::{AuditOutcome, Permission};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::principal::{Principal, cache_for};
use crate::domain::access_cache::{AccessCache, read_through};
use crate::domain::audit::{self, AuditEntry};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::infra::entities::tenant;

/// A permission as a type, so that it appears in a handler's signature.
pub trait Needs {
    const PERMISSION: Permission;
}

/// One marker type per [`Permission`].
pub mod need {
    macro_rules! markers {
        ($($name:ident),* $(,)?) => {$(
            pub struct $name;
            impl super::Needs for $name {
                const PERMISSION: callvault_shared::api::Permission =
                    callvault_shared::api::Permission::$name;
            }
        )*};
    }
    markers!(
        TenantRead,
        TenantCreate,
        TenantUpdate,
        UsersRead,
        UsersManage,
        AuditRead,
        KeysRead,
        KeysManage,
        RecordingsUpload,
        RecordingsRead,
        RecordingsPlay,
        RecordingsManage,
        RecordingsExport,
        TokensManage,
        HoldsManage,
    );
}

/// A principal allowed `P` in the tenant named by the path's `{tenant}` (an id or a slug).
pub struct InTenant<P: Needs> {
    pub principal: Principal,
    pub tenant: tenant::Model,
    _permission: PhantomData<P>,
}

/// A principal allowed `P` where no tenant is involved (creating a tenant).
pub struct Allowed<P: Needs> {
    pub principal: Principal,
    _permission: PhantomData<P>,
}

impl<P: Needs> InTenant<P> {
    pub fn actor(&self) -> crate::domain::audit::Actor {
        self.principal.actor()
    }
}

/// The tenant `selector` names, if `principal` may see it.
pub async fn visible_tenant(
    db: &impl ConnectionTrait,
    cache: Option<&AccessCache>,
    principal: &Principal,
    selector: &str,
) -> Result<tenant::Model, ApiError> {
    let found = read_through(
        cache,
        |cache| &cache.tenants,
        selector.to_owned(),
        || async {
            match Uuid::try_parse(selector) {
                Ok(id) => tenant::Entity::find_by_id(id).one(db).await,
                Err(_) => {
                    tenant::Entity::find()
                        .filter(tenant::Column::Slug.eq(selector))
                        .one(db)
                        .await
                }
            }
        },
    )
    .await?;
    found
        .filter(|tenant| match principal.token_tenant() {
            Some(token_tenant) => tenant.id == token_tenant,
            None => principal.role().is_provider_staff() || tenant.id == principal.user().tenant_id,
        })
        .ok_or_else(|| ApiError::NotFound(format!("no tenant {selector:?}")))
}

async fn require<P: Needs>(
    state: &AppState,
    principal: &Principal,
    tenant_id: Uuid,
    request: &HttpRequest,
) -> Result<(), ApiError> {
    require_permission(state, principal, P::PERMISSION, tenant_id, request).await
}

/// `permission`, or a 403 that is written to the audit log of `tenant_id` as `access.denied`.
pub async fn require_permission(
    state: &AppState,
    principal: &Principal,
    permission: Permission,
    tenant_id: Uuid,
    request: &HttpRequest,
) -> Result<(), ApiError> {
    let role = principal.role();
    if principal.allows(permission) {
        return Ok(());
    }
    audit::record_or_log(
        &state.db,
        AuditEntry::new(tenant_id, &principal.actor(), "access.denied")
            .outcome(AuditOutcome::Denied)
            .details(serde_json::json!({
                "method": request.method().as_str(),
                "path": request.path(),
                "permission": permission,
                "role": role,
            })),
    )
    .await;
    Err(refusal(principal, permission))
}

/// The tenant the authenticate-first middleware found visible for the path's `{tenant}`, kept
/// in the request's extensions so that [`InTenant`] does not look it up again.
#[derive(Clone)]
pub struct SeenTenant {
    pub selector: String,
    pub tenant: tenant::Model,
}

/// The 403 for a principal without `permission`, naming what is missing.
pub fn refusal(principal: &Principal, permission: Permission) -> ApiError {
    let lacking = if principal.role().allows(permission) {
        "the API token's scopes do not".to_owned()
    } else {
        format!("the role {} does not", principal.role())
    };
    ApiError::Forbidden(format!(
        "{lacking} allow this ({permission}: {})",
        permission.describe()
    ))
}

pub fn state_of(request: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))
}

impl<P: Needs + 'static> FromRequest for InTenant<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let principal = Principal::from_request(&request, payload);
        Box::pin(async move {
            let principal = principal.await?;
            let state = state_of(&request)?;
            let selector = request.match_info().get("tenant").ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("InTenant on a route without {{tenant}}"))
            })?;
            let seen = request
                .extensions()
                .get::<SeenTenant>()
                .filter(|seen| seen.selector == selector)
                .map(|seen| seen.tenant.clone());
            let tenant = match seen {
                Some(tenant) => tenant,
                None => {
                    let tenant = visible_tenant(
                        &state.db,
                        cache_for(&request, &state),
                        &principal,
                        selector,
                    )
                    .await?;
                    // For the access log, and for a second guard in the same handler.
                    request.extensions_mut().insert(SeenTenant {
                        selector: selector.to_owned(),
                        tenant: tenant.clone(),
                    });
                    tenant
                }
            };
            require::<P>(&state, &principal, tenant.id, &request).await?;
            Ok(Self {
                principal,
                tenant,
                _permission: PhantomData,
            })
        })
    }
}

impl<P: Needs + 'static> FromRequest for Allowed<P> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let principal = Principal::from_request(&request, payload);
        Box::pin(async move {
            let principal = principal.await?;
            let state = state_of(&request)?;
            require::<P>(&state, &principal, principal.user().tenant_id, &request).await?;
            Ok(Self {
                principal,
                _permission: PhantomData,
            })
        })
    }
}
