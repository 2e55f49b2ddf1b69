//! A key's life: created or imported (the System account's first), made active, exported for
//! safekeeping, retired, and destroyed (crypto-shredding). Every change writes its audit record
//! in its own transaction; RSA and passphrase work runs on the blocking pool, outside it.

use callvault_shared::api::{
    EncryptionKey, GenerateKey, ImportPrivateKey, ImportPublicKey, KeyChainAction, KeyDestroyed,
    KeyMode, KeyOrigin, KeyState, NewKey,
};
use callvault_shared::crypto::{KeyError, Native, RsaBits};
use callvault_shared::key_chain::SignedStatement;
use callvault_shared::keys::{KeyFile, RsaPrivateKey, RsaPublicKey, import_key};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{find_in_tenant, grants, has_private_half, to_api};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::jobs::{Handles, seal_plaintext};
use crate::domain::tenant_held::{self, Authorized, Target};
use crate::infra::database::begin_write;
use crate::infra::database::is_unique_violation;
use crate::infra::entities::{encryption_key, key_grant, recording, tenant, user};

/// Exported key files are protected by at least this many characters.
const MIN_EXPORT_PASSPHRASE: usize = 12;

/// A key file for the caller: the key's fingerprint (to name the file) and the PEM text.
pub struct KeyPem {
    pub fingerprint: String,
    pub pem: Zeroizing<String>,
}

/// What a [`NewKey`] brings: the key, how it came, and whom the request names for the first
/// grant.
struct Material {
    file: KeyFile<Native>,
    origin: KeyOrigin,
    grant_to: Option<Uuid>,
}

/// The first grant on a new private key: its holder, and the private half sealed to them.
struct FirstGrant {
    holder: user::Model,
    sealed: Vec<u8>,
}

/// Creates a key, imports a private key file, or a public key alone, as `caller`. The System
/// account's key must exist first. Whoever creates or imports a private key holds the first
/// grant on it, unless they name a user of the tenant (`grant_to`); provider staff must. The
/// tenant's first key becomes its active key. Written with its audit record.
pub async fn create(
    handles: &Handles,
    tenant: &tenant::Model,
    caller: &user::Model,
    new: NewKey,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<EncryptionKey, DomainError> {
    let db = &handles.db;
    if !tenant.is_system() && !system_key_exists(db).await? {
        return Err(DomainError::Conflict(
            "the System account's key must exist before any tenant key: create it first (POST /api/v1/tenants/system/keys)".into(),
        ));
    }
    let tenant_held = tenant.key_mode == KeyMode::TenantHeld;
    let material = material(new, tenant_held).await?;
    let first_holder = first_holder(db, tenant, caller, &material).await?;
    let row = new_row(tenant, &material, caller.id, Utc::now());
    let authorized = tenant_held::authorize(
        db,
        tenant,
        KeyChainAction::AddKey,
        Target::NewKey(&row),
        signed,
        actor,
    )
    .await?;
    let first_grant = match (&material.file, first_holder) {
        (KeyFile::Private(key), Some(holder)) => {
            let pkcs8 = key.to_pkcs8_der().map_err(DomainError::internal)?;
            let sealed = grants::seal_for(&row, &holder, pkcs8).await?;
            Some(FirstGrant { holder, sealed })
        }
        _ => None,
    };
    let new = NewRow {
        row,
        origin: material.origin,
        first_grant,
        authorized,
    };
    let (tenant, key) = insert_new(handles, tenant, new, actor).await?;
    to_api(db, &tenant, &key).await
}

async fn system_key_exists(db: &impl ConnectionTrait) -> Result<bool, DomainError> {
    let Some(system) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    Ok(encryption_key::Entity::find()
        .filter(encryption_key::Column::TenantId.eq(system.id))
        .filter(encryption_key::Column::State.ne(KeyState::Destroyed))
        .count(db)
        .await?
        > 0)
}

/// The key the request brings or asks for; a tenant that holds its own keys takes only
/// public keys.
async fn material(new: NewKey, tenant_held: bool) -> Result<Material, DomainError> {
    match new {
        NewKey::Generate(_) | NewKey::ImportPrivate(_) if tenant_held => {
            Err(DomainError::Conflict(
                "this tenant holds its own keys: the server takes only public keys (import one with {\"public_key_pem\"}, or generate the pair in the browser)".into(),
            ))
        }
        NewKey::Generate(GenerateKey { bits, grant_to }) => {
            let bits = RsaBits::from_bits(bits as usize).map_err(key_problem)?;
            let key = tokio::task::spawn_blocking(move || RsaPrivateKey::<Native>::generate(bits))
                .await?
                .map_err(key_problem)?;
            Ok(Material {
                file: KeyFile::Private(key),
                origin: KeyOrigin::Generated,
                grant_to,
            })
        }
        NewKey::ImportPrivate(ImportPrivateKey {
            private_key_pem,
            passphrase,
            grant_to,
        }) => Ok(Material {
            file: import_private(private_key_pem, passphrase).await?,
            origin: KeyOrigin::Imported,
            grant_to,
        }),
        NewKey::ImportPublic(ImportPublicKey { public_key_pem }) => Ok(Material {
            file: import_public(&public_key_pem)?,
            origin: KeyOrigin::PublicOnly,
            grant_to: None,
        }),
    }
}

async fn import_private(
    pem: String,
    passphrase: Option<String>,
) -> Result<KeyFile<Native>, DomainError> {
    let (pem, passphrase) = (Zeroizing::new(pem), passphrase.map(Zeroizing::new));
    let file = tokio::task::spawn_blocking(move || {
        import_key::<Native>(pem.as_bytes(), passphrase.as_ref().map(|p| p.as_bytes()))
    })
    .await?
    .map_err(key_problem)?;
    if matches!(file, KeyFile::Public(_)) {
        return Err(DomainError::Invalid(
            "this is a public key, where a private one is needed: import it as {\"public_key_pem\"}".into(),
        ));
    }
    Ok(file)
}

fn import_public(pem: &str) -> Result<KeyFile<Native>, DomainError> {
    let file = import_key::<Native>(pem.as_bytes(), None).map_err(key_problem)?;
    if matches!(file, KeyFile::Private(_)) {
        return Err(DomainError::Invalid(
            "this is a private key: a public key alone is expected here (send the private one as {\"private_key_pem\"} if the provider may hold it)".into(),
        ));
    }
    Ok(file)
}

fn key_problem(error: KeyError) -> DomainError {
    match error {
        KeyError::Crypto(error) => DomainError::internal(error),
        KeyError::UnsupportedSize(bits) if bits < 2048 => DomainError::Invalid(format!(
            "RSA keys of {bits} bits are too small: at least 2048 (2048, 3072 or 4096)"
        )),
        other => DomainError::Invalid(other.to_string()),
    }
}

/// Who holds the first grant: the user the request names, else the caller if they belong to
/// the tenant. A public key alone has no grants.
async fn first_holder(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    caller: &user::Model,
    material: &Material,
) -> Result<Option<user::Model>, DomainError> {
    match (&material.file, material.grant_to) {
        (KeyFile::Public(_), _) => Ok(None),
        (KeyFile::Private(_), Some(user_id)) => Ok(Some(
            user::Entity::find_by_id(user_id)
                .filter(user::Column::TenantId.eq(tenant.id))
                .one(db)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("no user {user_id} in this tenant")))?,
        )),
        (KeyFile::Private(_), None) if caller.tenant_id == tenant.id => Ok(Some(caller.clone())),
        (KeyFile::Private(_), None) => Err(DomainError::Invalid(
            "grants are held only within the key's tenant: name the tenant user who receives the first grant as \"grant_to\"".into(),
        )),
    }
}

fn new_row(
    tenant: &tenant::Model,
    material: &Material,
    created_by: Uuid,
    now: DateTime<Utc>,
) -> encryption_key::Model {
    let public = material.file.public_key();
    encryption_key::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        fingerprint: public.fingerprint().to_hex(),
        bits: public.bits().bits() as i32,
        origin: material.origin,
        state: KeyState::Active,
        public_key: public.spki_der().to_vec(),
        created_at: now,
        created_by: Some(created_by),
        exported_at: None,
        retired_at: None,
        destroyed_at: None,
    }
}

/// A key about to be written, and what comes with it.
struct NewRow {
    row: encryption_key::Model,
    origin: KeyOrigin,
    first_grant: Option<FirstGrant>,
    authorized: Authorized,
}

/// Writes the new key, its first grant, the recordings that were waiting for it, its link in
/// the key chain and (for the tenant's first key) the tenant's active key, with the audit
/// record, in one transaction. A key that pins a tenant-held tenant's chain starts sealing
/// its plaintext once that commits.
async fn insert_new(
    handles: &Handles,
    tenant: &tenant::Model,
    new: NewRow,
    actor: &Actor,
) -> Result<(tenant::Model, encryption_key::Model), DomainError> {
    let NewRow {
        row,
        origin,
        first_grant,
        authorized,
    } = new;
    let (created_at, created_by) = (row.created_at, row.created_by);
    let txn = begin_write(&handles.db).await?;
    let key = row
        .into_active_model()
        .insert(&txn)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                DomainError::Conflict("this key is already in the tenant".into())
            } else {
                error.into()
            }
        })?;
    if let Some(grant) = &first_grant {
        key_grant::ActiveModel {
            key_id: Set(key.id),
            user_id: Set(grant.holder.id),
            tenant_id: Set(tenant.id),
            sealed_private_key: Set(grant.sealed.clone()),
            granted_by: Set(created_by),
            created_at: Set(created_at),
        }
        .insert(&txn)
        .await?;
    }
    adopt_waiting_recordings(&txn, &key).await?;
    let tenant = match authorized {
        Authorized::Pin(link) => tenant_held::begin(&txn, tenant, &key, link, actor).await?,
        authorized => {
            authorized.record(&txn).await?;
            if tenant.active_key_id.is_none() {
                let mut row = tenant.clone().into_active_model();
                row.active_key_id = Set(Some(key.id));
                row.update(&txn).await?
            } else {
                tenant.clone()
            }
        }
    };
    let action = if origin == KeyOrigin::Generated {
        "key.create"
    } else {
        "key.import"
    };
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, action)
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "bits": key.bits,
                "origin": origin,
                "first_grant_to": first_grant.as_ref().map(|grant| &grant.holder.username),
            })),
    )
    .await?;
    txn.commit().await?;
    seal_plaintext::resume(handles.clone());
    Ok((tenant, key))
}

/// Recordings that arrived sealed to this key before it did (an imported archive).
async fn adopt_waiting_recordings(
    txn: &DatabaseTransaction,
    key: &encryption_key::Model,
) -> Result<(), DomainError> {
    recording::Entity::update_many()
        .col_expr(
            recording::Column::KeyId,
            sea_orm::sea_query::Expr::value(key.id),
        )
        .filter(recording::Column::TenantId.eq(key.tenant_id))
        .filter(recording::Column::KeyFingerprint.eq(key.fingerprint.as_str()))
        .filter(recording::Column::KeyId.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// The key's public half as a `PUBLIC KEY` PEM: to give to a recorder, or to check a
/// fingerprint.
pub async fn public_key(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<KeyPem, DomainError> {
    let key = find_in_tenant(db, tenant, id).await?;
    let public = RsaPublicKey::<Native>::from_spki_der(&key.public_key)
        .map_err(|error| DomainError::internal(anyhow::anyhow!("a stored public key: {error}")))?;
    Ok(KeyPem {
        fingerprint: key.fingerprint,
        pem: Zeroizing::new(public.to_pem()),
    })
}

/// The private key as an encrypted PKCS#8 PEM under `passphrase`, opened through the holder's
/// own grant; the key is marked exported, on the record. `username` is the holder's.
pub async fn export(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    holder: &grants::Holder<'_>,
    username: &str,
    passphrase: String,
    actor: &Actor,
) -> Result<KeyPem, DomainError> {
    let passphrase = Zeroizing::new(passphrase);
    if passphrase.chars().count() < MIN_EXPORT_PASSPHRASE {
        return Err(DomainError::Invalid(format!(
            "the passphrase must have at least {MIN_EXPORT_PASSPHRASE} characters"
        )));
    }
    let key = find_in_tenant(db, tenant, id).await?;
    has_private_half(&key)?;
    let private = grants::open_for(db, holder, &key).await?;
    let pem = tokio::task::spawn_blocking(move || private.to_encrypted_pem(passphrase.as_bytes()))
        .await?
        .map_err(|error| DomainError::internal(anyhow::anyhow!("export: {error}")))?;
    let mut row = key.clone().into_active_model();
    row.exported_at = Set(Some(Utc::now()));
    let txn = begin_write(db).await?;
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.export")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "user": username,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(KeyPem {
        fingerprint: key.fingerprint,
        pem,
    })
}

/// Makes the key the one new recordings are sealed with. `role` is the caller's.
pub async fn activate(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<EncryptionKey, DomainError> {
    let key = find_in_tenant(db, tenant, id).await?;
    if key.state != KeyState::Active {
        return Err(DomainError::Conflict(format!(
            "a {} key never seals again",
            key.state.as_str()
        )));
    }
    let authorized =
        signed_change(db, tenant, KeyChainAction::ActivateKey, &key, signed, actor).await?;
    let mut row = tenant.clone().into_active_model();
    row.active_key_id = Set(Some(key.id));
    let txn = begin_write(db).await?;
    authorized.record(&txn).await?;
    let tenant = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.activate")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint })),
    )
    .await?;
    txn.commit().await?;
    to_api(db, &tenant, &key).await
}

/// Retires a key: it still opens what it sealed, and never seals again.
pub async fn retire(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<EncryptionKey, DomainError> {
    let key = find_in_tenant(db, tenant, id).await?;
    if key.state == KeyState::Destroyed {
        return Err(DomainError::Conflict("this key was destroyed".into()));
    }
    let authorized =
        signed_change(db, tenant, KeyChainAction::RetireKey, &key, signed, actor).await?;
    let txn = begin_write(db).await?;
    authorized.record(&txn).await?;
    let tenant = stop_using(&txn, tenant, &key).await?;
    let mut row = key.into_active_model();
    row.state = Set(KeyState::Retired);
    row.retired_at = Set(Some(Utc::now()));
    let key = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.retire")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint })),
    )
    .await?;
    txn.commit().await?;
    to_api(db, &tenant, &key).await
}

/// The tenant without `key` as its active key; refused while encryption depends on it.
async fn stop_using(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    key: &encryption_key::Model,
) -> Result<tenant::Model, DomainError> {
    if tenant.active_key_id != Some(key.id) {
        return Ok(tenant.clone());
    }
    if tenant.encryption_enabled {
        return Err(DomainError::Conflict(
            "this is the active key and encryption is on: activate another key first".into(),
        ));
    }
    let mut row = tenant.clone().into_active_model();
    row.active_key_id = Set(None);
    Ok(row.update(db).await?)
}

/// Crypto-shredding: deletes every grant, so that what the key alone sealed can no longer be
/// opened here. Refused while recordings depend on it unless `recordings_become_unrecoverable`
/// confirms it.
pub async fn destroy(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    recordings_become_unrecoverable: bool,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<KeyDestroyed, DomainError> {
    let key = find_in_tenant(db, tenant, id).await?;
    if key.state == KeyState::Destroyed {
        return Err(DomainError::Conflict(
            "this key was destroyed already".into(),
        ));
    }
    let dependent = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant.id))
        .filter(recording::Column::KeyId.eq(key.id))
        .count(db)
        .await?;
    if dependent > 0 {
        let sealed = recording::Entity::find()
            .filter(recording::Column::TenantId.eq(tenant.id))
            .filter(recording::Column::KeyId.eq(key.id))
            .all(db)
            .await?;
        crate::domain::retention::holds::refuse_if_held(
            db,
            tenant.id,
            &sealed,
            "destroy this key, which opens recordings under legal hold",
        )
        .await?;
    }
    if dependent > 0 && !recordings_become_unrecoverable {
        return Err(DomainError::Conflict(format!(
            "{dependent} recordings are sealed with this key and would become unrecoverable here; re-wrap them to another key first, or confirm with {{\"recordings_become_unrecoverable\": true}}"
        )));
    }
    let authorized =
        signed_change(db, tenant, KeyChainAction::DestroyKey, &key, signed, actor).await?;
    let txn = begin_write(db).await?;
    authorized.record(&txn).await?;
    let tenant = stop_using(&txn, tenant, &key).await?;
    let grants_removed = key_grant::Entity::delete_many()
        .filter(key_grant::Column::KeyId.eq(key.id))
        .exec(&txn)
        .await?
        .rows_affected;
    let mut row = key.into_active_model();
    row.state = Set(KeyState::Destroyed);
    row.destroyed_at = Set(Some(Utc::now()));
    let key = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "key.destroy")
            .object("key", key.id)
            .details(serde_json::json!({
                "fingerprint": key.fingerprint,
                "grants_removed": grants_removed,
                "recordings_unrecoverable": dependent,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(KeyDestroyed {
        key: to_api(db, &tenant, &key).await?,
        grants_removed,
        recordings_unrecoverable: dependent,
    })
}

/// Leave for `action` on the tenant's own `key`: in a tenant that holds its own keys, a
/// statement signed by its key.
async fn signed_change(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    action: KeyChainAction,
    key: &encryption_key::Model,
    signed: Option<SignedStatement>,
    actor: &Actor,
) -> Result<Authorized, DomainError> {
    tenant_held::authorize(db, tenant, action, Target::Key(key), signed, actor).await
}
