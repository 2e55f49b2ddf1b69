//! Path parameters as the OpenAPI document describes them, shared by the routes.

/// The `{tenant}` segment of a path, as in `params(TenantPath, ...)`: documentation only, the
/// guards read the segment themselves.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TenantPath {
    /// The tenant's id or slug
    #[allow(dead_code)]
    tenant: String,
}
