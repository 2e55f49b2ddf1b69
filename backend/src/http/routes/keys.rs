//! `/api/v1/tenants/{tenant}/keys`: the tenant's encryption keys and their grants.

use actix_web::{HttpResponse, delete, get, post, web};
use callvault_shared::api::{
    EncryptionKey, KeyDestroy, KeyDestroyed, KeyExport, KeyHolder, KeyMode, KeyOrigin, KeyState,
    NewGrant, NewKey,
};
use callvault_shared::crypto::{KeyError, Native, RsaBits};
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::is_unique_violation;
use crate::domain::audit::{self, AuditEntry};
use crate::domain::encryption_keys::{self, grants};
use crate::http::error::ApiError;
use crate::http::guards::access::{InTenant, need};
use crate::http::json::Json;
use crate::http::path_params::TenantPath;
use crate::http::state::AppState;
use crate::infra::entities::{encryption_key, key_grant, recording, tenant, user};

/// Exported key files are protected by at least this many characters.
const MIN_EXPORT_PASSPHRASE: usize = 12;

/// The tenant's keys, newest first.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    responses(
        (status = 200, description = "Keys", body = Vec<EncryptionKey>),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys")]
pub async fn list(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
) -> Result<HttpResponse, ApiError> {
    let rows = encryption_key::Entity::find()
        .filter(encryption_key::Column::TenantId.eq(access.tenant.id))
        .order_by_desc(encryption_key::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for row in &rows {
        keys.push(encryption_keys::to_api(&state.db, &access.tenant, row).await?);
    }
    Ok(HttpResponse::Ok().json(keys))
}

/// Creates a key (`{"bits"}`), imports a private key file (`{"private_key_pem", "passphrase"}`)
/// or a public key alone (`{"public_key_pem"}`). The System account's key must exist first.
/// Whoever creates or imports a private key holds the first grant on it; provider staff
/// creating a tenant's key name the tenant user who does (`grant_to`). The tenant's first key
/// becomes its active key.
#[utoipa::path(
    tag = "keys",
    params(TenantPath),
    request_body = NewKey,
    responses(
        (status = 201, description = "Created", body = EncryptionKey),
        (status = 400, description = "A malformed key file, a wrong passphrase, an unsupported size, or a missing `grant_to`"),
        (status = 409, description = "No System key yet, the key exists already, or tenant-held mode refuses private keys"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys")]
pub async fn create(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    body: Json<NewKey>,
) -> Result<HttpResponse, ApiError> {
    let tenant = &access.tenant;
    if !tenant.is_system() && !system_key_exists(&state.db).await? {
        return Err(ApiError::Conflict(
            "the System account's key must exist before any tenant key: create it first (POST /api/v1/tenants/system/keys)".into(),
        ));
    }
    let tenant_held = tenant.key_mode == KeyMode::TenantHeld.as_str();
    tenant_decides(tenant, &access.principal)?;
    let (material, origin, grant_to) = match body.into_inner() {
        NewKey::Generate { .. } | NewKey::ImportPrivate { .. } if tenant_held => {
            return Err(ApiError::Conflict(
                "this tenant holds its own keys: the server takes only public keys (import one with {\"public_key_pem\"}, or generate the pair in the browser)".into(),
            ));
        }
        NewKey::Generate { bits, grant_to } => {
            let bits = RsaBits::from_bits(bits as usize).map_err(key_problem)?;
            let key = tokio::task::spawn_blocking(move || RsaPrivateKey::<Native>::generate(bits))
                .await?
                .map_err(key_problem)?;
            (KeyFile::Private(key), KeyOrigin::Generated, grant_to)
        }
        NewKey::ImportPrivate {
            private_key_pem,
            passphrase,
            grant_to,
        } => {
            let (pem, passphrase) = (
                Zeroizing::new(private_key_pem),
                passphrase.map(Zeroizing::new),
            );
            let file = tokio::task::spawn_blocking(move || {
                import_key::<Native>(pem.as_bytes(), passphrase.as_ref().map(|p| p.as_bytes()))
            })
            .await?
            .map_err(key_problem)?;
            if matches!(file, KeyFile::Public(_)) {
                return Err(ApiError::BadRequest(
                    "this is a public key, where a private one is needed: import it as {\"public_key_pem\"}".into(),
                ));
            }
            (file, KeyOrigin::Imported, grant_to)
        }
        NewKey::ImportPublic { public_key_pem } => {
            let file =
                import_key::<Native>(public_key_pem.as_bytes(), None).map_err(key_problem)?;
            if matches!(file, KeyFile::Private(_)) {
                return Err(ApiError::BadRequest(
                    "this is a private key: a public key alone is expected here (send the private one as {\"private_key_pem\"} if the provider may hold it)".into(),
                ));
            }
            (file, KeyOrigin::PublicOnly, None)
        }
    };

    // Who holds the first grant: the creator, if they belong to the tenant.
    let first_holder = match (&material, grant_to) {
        (KeyFile::Public(_), _) => None,
        (KeyFile::Private(_), Some(user_id)) => Some(
            user::Entity::find_by_id(user_id)
                .filter(user::Column::TenantId.eq(tenant.id))
                .one(&state.db)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no user {user_id} in this tenant")))?,
        ),
        (KeyFile::Private(_), None) if access.principal.user().tenant_id == tenant.id => {
            Some(access.principal.user().clone())
        }
        (KeyFile::Private(_), None) => {
            return Err(ApiError::BadRequest(
                "grants are held only within the key's tenant: name the tenant user who receives the first grant as \"grant_to\"".into(),
            ));
        }
    };

    let public = material.public_key();
    let now = Utc::now();
    let row = encryption_key::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        fingerprint: public.fingerprint().to_hex(),
        bits: public.bits().bits() as i32,
        origin: origin.as_str().to_owned(),
        state: KeyState::Active.as_str().to_owned(),
        public_key: public.spki_der().to_vec(),
        created_at: now,
        created_by: Some(access.principal.user().id),
        exported_at: None,
        retired_at: None,
        destroyed_at: None,
    };
    let sealed_grant = match (&material, &first_holder) {
        (KeyFile::Private(key), Some(holder)) => Some(
            grants::seal_for(
                &row,
                holder,
                key.to_pkcs8_der().map_err(ApiError::internal)?,
            )
            .await?,
        ),
        _ => None,
    };

    let txn = crate::infra::database::begin_write(&state.db).await?;
    let key = row
        .into_active_model()
        .insert(&txn)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::Conflict("this key is already in the tenant".into())
            } else {
                error.into()
            }
        })?;
    if let (Some(sealed), Some(holder)) = (sealed_grant, &first_holder) {
        key_grant::ActiveModel {
            key_id: Set(key.id),
            user_id: Set(holder.id),
            tenant_id: Set(tenant.id),
            sealed_private_key: Set(sealed),
            granted_by: Set(Some(access.principal.user().id)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    // Recordings that arrived sealed to this key before it did (an imported archive).
    recording::Entity::update_many()
        .col_expr(
            recording::Column::KeyId,
            sea_orm::sea_query::Expr::value(key.id),
        )
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::KeyFingerprint.eq(key.fingerprint.as_str()))
        .filter(recording::Column::KeyId.is_null())
        .exec(&txn)
        .await?;
    let tenant = if tenant.active_key_id.is_none() {
        let mut row = tenant.clone().into_active_model();
        row.active_key_id = Set(Some(key.id));
        row.update(&txn).await?
    } else {
        tenant.clone()
    };
    audit::record(
        &txn,
        AuditEntry::new(
            tenant.id,
            &access.actor(),
            if origin == KeyOrigin::Generated {
                "key.create"
            } else {
                "key.import"
            },
        )
        .object("key", key.id)
        .details(serde_json::json!({
            "fingerprint": key.fingerprint,
            "bits": key.bits,
            "origin": origin,
            "first_grant_to": first_holder.as_ref().map(|holder| &holder.username),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(encryption_keys::to_api(&state.db, &tenant, &key).await?))
}

async fn system_key_exists(db: &impl ConnectionTrait) -> Result<bool, ApiError> {
    let Some(system) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    Ok(encryption_key::Entity::find()
        .filter(encryption_key::Column::TenantId.eq(system.id))
        .filter(encryption_key::Column::State.ne(KeyState::Destroyed.as_str()))
        .count(db)
        .await?
        > 0)
}

/// A tenant that holds its own keys decides alone which key seals its recordings: provider
/// staff may not add or activate one there (they could hold its private half).
pub fn tenant_decides(
    tenant: &tenant::Model,
    principal: &crate::http::guards::principal::Principal,
) -> Result<(), ApiError> {
    if tenant.key_mode == KeyMode::TenantHeld.as_str() && principal.role().is_provider_staff() {
        return Err(ApiError::Forbidden(
            "this tenant holds its own keys: only its own administrators change its keys and encryption settings".into(),
        ));
    }
    Ok(())
}

fn key_problem(error: KeyError) -> ApiError {
    match error {
        KeyError::Crypto(error) => ApiError::internal(error),
        KeyError::UnsupportedSize(bits) if bits < 2048 => ApiError::BadRequest(format!(
            "RSA keys of {bits} bits are too small: at least 2048 (2048, 3072 or 4096)"
        )),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// One key with its holders.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "The key", body = EncryptionKey),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(encryption_keys::to_api(&state.db, &access.tenant, &key).await?))
}

/// The public key, as a PEM file: to give to a recorder, or to check a fingerprint.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "`PUBLIC KEY` PEM", content_type = "application/x-pem-file", body = String),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}/public-key")]
pub async fn public_key(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    let public = callvault_shared::keys::RsaPublicKey::<Native>::from_spki_der(&key.public_key)
        .map_err(|error| ApiError::internal(anyhow::anyhow!("a stored public key: {error}")))?;
    Ok(pem_file(
        public.to_pem(),
        &format!("callvault-{}-public.pem", &key.fingerprint[..16]),
    ))
}

/// The private key as an encrypted PKCS#8 PEM file under the caller's passphrase, for
/// safekeeping and for moving recordings elsewhere. Only a holder of a grant can export;
/// `openssl pkey -passin` opens the file.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    request_body = KeyExport,
    responses(
        (status = 200, description = "`ENCRYPTED PRIVATE KEY` PEM", content_type = "application/x-pem-file", body = String),
        (status = 400, description = "The passphrase is too short"),
        (status = 403, description = "The role does not allow it, or the caller holds no grant"),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "A public-only or destroyed key has no private half here"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/export")]
pub async fn export(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
    body: Json<KeyExport>,
) -> Result<HttpResponse, ApiError> {
    let passphrase = Zeroizing::new(body.into_inner().passphrase);
    if passphrase.chars().count() < MIN_EXPORT_PASSPHRASE {
        return Err(ApiError::BadRequest(format!(
            "the passphrase must have at least {MIN_EXPORT_PASSPHRASE} characters"
        )));
    }
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    has_private_half(&key)?;
    let private = grants::open_for(&state.db, &access.principal.holder(), &key).await?;
    let pem = tokio::task::spawn_blocking(move || private.to_encrypted_pem(passphrase.as_bytes()))
        .await?
        .map_err(|error| ApiError::internal(anyhow::anyhow!("export: {error}")))?;
    let mut row = key.clone().into_active_model();
    row.exported_at = Set(Some(Utc::now()));
    let txn = crate::infra::database::begin_write(&state.db).await?;
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "key.export")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "user": access.principal.user().username,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(pem_file(
        pem.to_string(),
        &format!("callvault-{}.pem", &key.fingerprint[..16]),
    ))
}

fn pem_file(pem: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(pem)
}

fn has_private_half(key: &encryption_key::Model) -> Result<(), ApiError> {
    match (encryption_keys::origin(key), encryption_keys::state(key)) {
        (KeyOrigin::PublicOnly, _) => Err(ApiError::Conflict(
            "this key is held by the tenant: the server has only its public half".into(),
        )),
        (_, KeyState::Destroyed) => Err(ApiError::Conflict("this key was destroyed".into())),
        _ => Ok(()),
    }
}

/// Makes the key the one new recordings are sealed with.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "The key, now active", body = EncryptionKey),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "A retired or destroyed key never seals again"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/activate")]
pub async fn activate(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    tenant_decides(&access.tenant, &access.principal)?;
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    if encryption_keys::state(&key) != KeyState::Active {
        return Err(ApiError::Conflict(format!(
            "a {} key never seals again",
            key.state
        )));
    }
    let mut row = access.tenant.clone().into_active_model();
    row.active_key_id = Set(Some(key.id));
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let tenant = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, &access.actor(), "key.activate")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(encryption_keys::to_api(&state.db, &tenant, &key).await?))
}

/// Retires a key: it still opens what it sealed, and never seals again.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "The key, now retired", body = EncryptionKey),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "The active key while encryption is on, or a destroyed key"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/retire")]
pub async fn retire(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    if encryption_keys::state(&key) == KeyState::Destroyed {
        return Err(ApiError::Conflict("this key was destroyed".into()));
    }
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let tenant = stop_using(&txn, &access.tenant, &key).await?;
    let mut row = key.into_active_model();
    row.state = Set(KeyState::Retired.as_str().to_owned());
    row.retired_at = Set(Some(Utc::now()));
    let key = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, &access.actor(), "key.retire")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(encryption_keys::to_api(&state.db, &tenant, &key).await?))
}

/// The tenant without `key` as its active key; refused while encryption depends on it.
async fn stop_using(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    key: &encryption_key::Model,
) -> Result<tenant::Model, ApiError> {
    if tenant.active_key_id != Some(key.id) {
        return Ok(tenant.clone());
    }
    if tenant.encryption_enabled {
        return Err(ApiError::Conflict(
            "this is the active key and encryption is on: activate another key first".into(),
        ));
    }
    let mut row = tenant.clone().into_active_model();
    row.active_key_id = Set(None);
    Ok(row.update(db).await?)
}

/// Crypto-shredding: deletes every grant, so that what the key alone sealed can no longer be
/// opened here. Refused while recordings depend on it unless the request confirms it.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    request_body = KeyDestroy,
    responses(
        (status = 200, description = "Destroyed", body = KeyDestroyed),
        (status = 404, description = "No such key in this tenant"),
        (status = 409, description = "Recordings depend on it (the detail says how many) and the request did not confirm, or it is the active key while encryption is on"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/destroy")]
pub async fn destroy(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<KeyDestroy>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    if encryption_keys::state(&key) == KeyState::Destroyed {
        return Err(ApiError::Conflict("this key was destroyed already".into()));
    }
    let dependent = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(access.tenant.id))
        .filter(recording::Column::KeyId.eq(key.id))
        .count(&state.db)
        .await?;
    if dependent > 0 && !body.recordings_become_unrecoverable {
        return Err(ApiError::Conflict(format!(
            "{dependent} recordings are sealed with this key and would become unrecoverable here; re-wrap them to another key first, or confirm with {{\"recordings_become_unrecoverable\": true}}"
        )));
    }
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let tenant = stop_using(&txn, &access.tenant, &key).await?;
    let grants_removed = key_grant::Entity::delete_many()
        .filter(key_grant::Column::KeyId.eq(key.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let mut row = key.into_active_model();
    row.state = Set(KeyState::Destroyed.as_str().to_owned());
    row.destroyed_at = Set(Some(Utc::now()));
    let key = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, &access.actor(), "key.destroy")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "grants_removed": grants_removed,
                "recordings_unrecoverable": dependent,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(KeyDestroyed {
        key: encryption_keys::to_api(&state.db, &tenant, &key).await?,
        grants_removed,
        recordings_unrecoverable: dependent,
    }))
}

/// Who holds the key.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    responses(
        (status = 200, description = "Holders", body = Vec<KeyHolder>),
        (status = 404, description = "No such key in this tenant"),
    ),
    security(("bearer" = ["keys_read"]), ("session_cookie" = ["keys_read"]))
)]
#[get("/api/v1/tenants/{tenant}/keys/{id}/grants")]
pub async fn list_grants(
    state: web::Data<AppState>,
    access: InTenant<need::KeysRead>,
    path: web::Path<(String, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().json(
        encryption_keys::to_api(&state.db, &access.tenant, &key)
            .await?
            .holders,
    ))
}

/// Grants the key to a user of the same tenant. Only a holder can: the key's private half is
/// opened with the caller's own grant and sealed to the grantee's key. A role never suffices.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
    ),
    request_body = NewGrant,
    responses(
        (status = 201, description = "Granted", body = KeyHolder),
        (status = 403, description = "The role does not allow it, or the caller holds no grant"),
        (status = 404, description = "No such key, or no such user in this tenant"),
        (status = 409, description = "Already granted, a key without a private half here, or a user who never signed in"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[post("/api/v1/tenants/{tenant}/keys/{id}/grants")]
pub async fn grant(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid)>,
    body: Json<NewGrant>,
) -> Result<HttpResponse, ApiError> {
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, path.1).await?;
    let grantee_id = body.user_id;
    let grantee = user::Entity::find_by_id(grantee_id)
        .filter(user::Column::TenantId.eq(access.tenant.id))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {grantee_id} in this tenant")))?;
    has_private_half(&key)?;
    let private = grants::open_for(&state.db, &access.principal.holder(), &key).await?;
    if key_grant::Entity::find_by_id((key.id, grantee.id))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "{} holds this key already",
            grantee.username
        )));
    }
    let pkcs8 = private.to_pkcs8_der().map_err(ApiError::internal)?;
    let sealed = grants::seal_for(&key, &grantee, pkcs8).await?;
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let created = key_grant::ActiveModel {
        key_id: Set(key.id),
        user_id: Set(grantee.id),
        tenant_id: Set(access.tenant.id),
        sealed_private_key: Set(sealed),
        granted_by: Set(Some(access.principal.user().id)),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            ApiError::Conflict(format!("{} holds this key already", grantee.username))
        } else {
            error.into()
        }
    })?;
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "key.grant")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "to": grantee.username,
                "to_id": grantee.id,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(KeyHolder {
        user_id: grantee.id,
        username: grantee.username,
        granted_at: created.created_at,
    }))
}

/// Revokes a user's grant: their sealed copy of the key is deleted.
#[utoipa::path(
    tag = "keys",
    params(
        TenantPath,
        ("id" = Uuid, Path, description = "The key's id"),
        ("user" = Uuid, Path, description = "The holder's user id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key in this tenant, or that user holds no grant on it"),
        (status = 409, description = "The last holder of a key that recordings depend on"),
    ),
    security(("bearer" = ["keys_manage"]), ("session_cookie" = ["keys_manage"]))
)]
#[delete("/api/v1/tenants/{tenant}/keys/{id}/grants/{user}")]
pub async fn revoke(
    state: web::Data<AppState>,
    access: InTenant<need::KeysManage>,
    path: web::Path<(String, Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, key_id, user_id) = path.into_inner();
    let key = encryption_keys::find_in_tenant(&state.db, &access.tenant, key_id).await?;
    encryption_keys::keep_a_holder(&state.db, std::slice::from_ref(&key), user_id).await?;
    let txn = crate::infra::database::begin_write(&state.db).await?;
    let removed = key_grant::Entity::delete_many()
        .filter(key_grant::Column::KeyId.eq(key.id))
        .filter(key_grant::Column::UserId.eq(user_id))
        .filter(key_grant::Column::TenantId.eq(access.tenant.id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(ApiError::NotFound(format!(
            "user {user_id} holds no grant on this key"
        )));
    }
    audit::record(
        &txn,
        AuditEntry::new(access.tenant.id, &access.actor(), "key.revoke")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint, "from_id": user_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
