//! Reading an archive: every entry is checked against the manifest (names, sizes, hashes, and
//! for a sealed file its header) while it is copied into the store; the catalogue rows are
//! registered in one transaction only when everything checked out. A refused archive leaves
//! nothing behind. Importing the same archive twice adds nothing the second time.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};

use callvault_shared::api::ImportOutcome;
use callvault_shared::crypto::Native;
use callvault_shared::keys::{Fingerprint, RsaPrivateKey};
use callvault_shared::sealed::SealedHeader;
use chrono::Utc;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use uuid::Uuid;

mod reopen;

use self::reopen::{copy_reopened, not_a_tenants, open_metadata, refuse_missing_keys, reopening};
use super::central_directory::{self, Entry, ScanError};
use super::entry_reader::EntryReader;
use super::{FORMAT, MANIFEST, METADATA, Manifest, ManifestEntry, VERSION};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::idempotency::{self, Pending, Remembered};
use crate::infra::entities::{deleted_recording, encryption_key, recording, tenant};
use crate::infra::storage::Store;

/// More entries than this is not an archive we wrote.
pub const MAX_ENTRIES: usize = 100_000;
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
const PIECE: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not acceptable, with the reason in words.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

fn invalid(reason: impl Into<String>) -> ArchiveError {
    ArchiveError::Invalid(reason.into())
}

impl From<ScanError> for ArchiveError {
    fn from(error: ScanError) -> Self {
        match error {
            ScanError::Invalid(reason) => Self::Invalid(reason),
            ScanError::Io(error) => Self::Failed(error.into()),
        }
    }
}

/// Why reading an entry's bytes failed: bytes that are not the directory's are the archive's
/// fault, anything else is the spool's.
fn unreadable(file: &str, error: std::io::Error) -> ArchiveError {
    if error.kind() == std::io::ErrorKind::InvalidData {
        invalid(format!("{file}: {error}"))
    } else {
        invalid(format!("{file}: damaged"))
    }
}

/// The archive's entries by name, as the central-directory scan listed and checked them.
type Directory = HashMap<String, Entry>;
type Archive = BufReader<File>;

/// Where the recordings go.
pub enum Destination {
    /// All of them into this tenant (an import through the API).
    Tenant(tenant::Model),
    /// Each back into the tenant it came from, created if missing (a restore).
    Origin,
}

/// What commits together with the imported rows: the audit record of the import, and the
/// answer to the request's idempotency key.
pub struct Witness {
    /// The tenant whose audit log records the import.
    pub log_tenant_id: Uuid,
    pub actor: Actor,
    pub action: &'static str,
    pub idempotency: Option<Pending>,
    /// A restore's: the fingerprints of the backup keys it was given (never the keys), so that
    /// the log says which key opened what the backup had sealed.
    pub opened_with: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: u64,
    pub already_present: u64,
    /// Deleted here before, or past their retention: never brought back.
    pub skipped: u64,
}

/// Checks and imports the archive in `file`. Runs on a blocking thread.
///
/// `backup_keys` are the private keys of the backup (a restore's key files): a file the
/// manifest marks `sealed_for_backup` is opened with one of them and put back as its recording
/// was stored. Without the key it needs, nothing is written.
#[allow(clippy::too_many_arguments)]
pub fn import_archive(
    handle: &Handle,
    db: &DatabaseConnection,
    store: &Store,
    file: File,
    destination: &Destination,
    backup_keys: &[RsaPrivateKey<Native>],
    witness: Option<&Witness>,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ArchiveError> {
    // Entries are read only through this scan's list: one name, one span of bytes each.
    let mut archive = BufReader::new(file);
    let names = directory(central_directory::scan(&mut archive, MAX_ENTRIES + 1)?)?;
    let manifest = read_manifest(&mut archive, &names)?;
    check_listing(&manifest, &names)?;
    if let Destination::Tenant(_) = destination {
        if let Some(entry) = manifest.recordings.iter().find(|e| e.sealed_for_backup) {
            return Err(not_a_tenants(entry));
        }
        if manifest.sealed_metadata.is_some() {
            return Err(invalid(
                "this is a backup (its metadata is sealed to the backup's key): a backup is \
                 restored with `callvault backup restore --key FILE`",
            ));
        }
    }
    let present = already_here(handle, db, &manifest, destination)?;
    refuse_missing_keys(&manifest, &present, backup_keys)?;
    let manifest = open_metadata(&mut archive, &names, manifest, backup_keys)?;
    let gone = gone_for_good(handle, db, &manifest, &present, destination)?;
    let skip: HashSet<Uuid> = present.union(&gone).copied().collect();
    let reopen = reopening(handle, db, &manifest, &skip, destination, backup_keys)?;

    let mut copied: Vec<(ManifestEntry, String)> = Vec::new();
    let outcome = (|| {
        for entry in &manifest.recordings {
            if skip.contains(&entry.id) {
                continue;
            }
            let scanned = names
                .get(&entry.file)
                .ok_or_else(|| invalid(format!("{} is listed but missing", entry.file)))?;
            let reader = EntryReader::open(&mut archive, scanned)
                .map_err(|error| unreadable(&entry.file, error))?;
            let object_key = format!("imports/{}", Uuid::now_v7());
            // A file sealed for the backup goes back as its recording was stored; any other
            // is copied as it is. Either aborts its own upload when refused.
            let placed = match reopen.get(&entry.id) {
                Some(plan) => {
                    let placed = copy_reopened(handle, store, reader, entry, plan, &object_key)?;
                    progress(entry.file_size);
                    placed
                }
                None => {
                    copy_checked(handle, store, reader, entry, &object_key, &mut progress)?;
                    entry.clone()
                }
            };
            copied.push((placed, object_key));
        }
        Ok::<_, ArchiveError>(())
    })();
    let already_present = present.len() as u64;
    let left = Left {
        already_present,
        skipped: gone.len() as u64,
    };
    let registered = outcome
        .and_then(|()| handle.block_on(register(db, store, &copied, destination, left, witness)));
    match registered {
        Ok(imported) => Ok(ImportReport {
            imported,
            already_present,
            skipped: gone.len() as u64,
        }),
        Err(error) => {
            for (_, object_key) in &copied {
                let _ = handle.block_on(store.delete(&ObjectPath::from(object_key.as_str())));
            }
            Err(error)
        }
    }
}

/// The archive's recordings that must not come back: in a restore, those deleted here before
/// (by their retention, or by a person while no hold covered them); in a restore or a tenant's
/// import, those past their retention under the policy of the tenant they would go to, unless
/// a hold there covers them. (A tenant may import again what it deleted itself: the archive is
/// its own copy, which it could upload again anyway.)
fn gone_for_good(
    handle: &Handle,
    db: &DatabaseConnection,
    manifest: &Manifest,
    present: &HashSet<Uuid>,
    destination: &Destination,
) -> Result<HashSet<Uuid>, ArchiveError> {
    use crate::domain::retention::{holds, policy};
    use callvault_shared::api::{Retained, RetentionPolicy, Searched};
    use sea_orm::QuerySelect;

    let mut gone = HashSet::new();
    let ids: Vec<Uuid> = manifest
        .recordings
        .iter()
        .map(|entry| entry.id)
        .filter(|id| !present.contains(id))
        .collect();
    let restoring = matches!(destination, Destination::Origin);
    for batch in ids.chunks(1000).filter(|_| restoring) {
        let stones: Vec<Uuid> = handle
            .block_on(
                deleted_recording::Entity::find()
                    .select_only()
                    .column(deleted_recording::Column::Id)
                    .filter(deleted_recording::Column::Id.is_in(batch.iter().copied()))
                    .into_tuple()
                    .all(db),
            )
            .map_err(anyhow::Error::from)?;
        gone.extend(stones);
    }
    let now = Utc::now();
    let mut rules: HashMap<String, Option<(RetentionPolicy, Vec<holds::Hold>)>> = HashMap::new();
    for entry in &manifest.recordings {
        if present.contains(&entry.id) || gone.contains(&entry.id) {
            continue;
        }
        if !rules.contains_key(&entry.tenant_slug) {
            let tenant = match destination {
                Destination::Tenant(tenant) => Some(tenant.clone()),
                Destination::Origin => handle
                    .block_on(
                        tenant::Entity::find()
                            .filter(tenant::Column::Slug.eq(entry.tenant_slug.as_str()))
                            .one(db),
                    )
                    .map_err(anyhow::Error::from)?,
            };
            let found = match tenant {
                Some(tenant) => Some((
                    handle
                        .block_on(policy::show(db, tenant.id, now))
                        .map_err(anyhow::Error::from)?
                        .in_force,
                    handle
                        .block_on(holds::in_force(db, tenant.id))
                        .map_err(anyhow::Error::from)?,
                )),
                None => None,
            };
            rules.insert(entry.tenant_slug.clone(), found);
        }
        let Some(Some((policy, holds_here))) = rules.get(&entry.tenant_slug) else {
            continue;
        };
        let kept = Retained {
            tags: &entry.tags,
            direction: entry.direction,
            since: entry.started_at.unwrap_or(entry.created_at),
        };
        let searched = Searched {
            id: entry.id,
            caller: entry.caller.as_deref(),
            callee: entry.callee.as_deref(),
            agent: entry.agent.as_deref(),
            tags: &entry.tags,
            started_at: entry.started_at,
        };
        if policy.expires_at(&kept).is_some_and(|end| end <= now)
            && holds::covering_searched(holds_here, &searched).is_empty()
        {
            gone.insert(entry.id);
        }
    }
    Ok(gone)
}

/// The scanned entries by name: every entry stored, never compressed, so none can expand
/// and none holds more than its share of the archive.
fn directory(entries: Vec<Entry>) -> Result<Directory, ArchiveError> {
    let mut names = HashMap::with_capacity(entries.len());
    for entry in entries {
        if !entry.is_stored() {
            return Err(invalid(format!(
                "{}: entries must be stored, not compressed",
                entry.name
            )));
        }
        if let Some(twice) = names.insert(entry.name.clone(), entry) {
            return Err(invalid(format!("{} appears twice", twice.name)));
        }
    }
    Ok(names)
}

/// The manifest, of a format and version this reader knows.
fn read_manifest(archive: &mut Archive, names: &Directory) -> Result<Manifest, ArchiveError> {
    let scanned = names
        .get(MANIFEST)
        .ok_or_else(|| invalid("no manifest.json"))?;
    if scanned.size > MAX_MANIFEST_BYTES {
        return Err(invalid("the manifest is too large"));
    }
    let mut text = Vec::new();
    EntryReader::open(archive, scanned)
        .and_then(|mut reader| reader.read_to_end(&mut text))
        .map_err(|error| unreadable(MANIFEST, error))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|error| invalid(format!("the manifest is not valid: {error}")))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(invalid(format!(
            "not a callvault archive of version {VERSION} ({} {})",
            manifest.format, manifest.version
        )));
    }
    Ok(manifest)
}

/// The manifest and the directory agree: every listed file there with its size, once, under
/// its recording's name, and nothing there that is not listed.
fn check_listing(manifest: &Manifest, names: &Directory) -> Result<(), ArchiveError> {
    let mut listed = HashSet::new();
    for entry in &manifest.recordings {
        check_entry(entry)?;
        if !listed.insert(entry.id) {
            return Err(invalid(format!("recording {} is listed twice", entry.id)));
        }
        if entry.file != ManifestEntry::file_name(entry.id, entry.sealed) {
            return Err(invalid(format!(
                "{:?} is not the file name of recording {}",
                entry.file, entry.id
            )));
        }
        let Some(size) = names.get(&entry.file).map(|scanned| scanned.size) else {
            return Err(invalid(format!("{} is listed but missing", entry.file)));
        };
        if size != entry.file_size {
            return Err(invalid(format!(
                "{}: {size} bytes, the manifest says {}",
                entry.file, entry.file_size
            )));
        }
    }
    if let Some(metadata) = &manifest.sealed_metadata {
        if metadata.file != METADATA {
            return Err(invalid(format!(
                "{:?} is not the name of the sealed metadata",
                metadata.file
            )));
        }
        let Some(size) = names.get(METADATA).map(|scanned| scanned.size) else {
            return Err(invalid(format!("{METADATA} is listed but missing")));
        };
        if size != metadata.file_size || size > MAX_MANIFEST_BYTES {
            return Err(invalid(format!(
                "{METADATA}: {size} bytes, the manifest says {}",
                metadata.file_size
            )));
        }
    }
    let extra = usize::from(manifest.sealed_metadata.is_some());
    if names.len() != manifest.recordings.len() + 1 + extra {
        let unlisted = names
            .keys()
            .find(|name| {
                *name != MANIFEST
                    && !(extra == 1 && *name == METADATA)
                    && !manifest.recordings.iter().any(|entry| &entry.file == *name)
            })
            .cloned()
            .unwrap_or_default();
        return Err(invalid(format!("{unlisted} is not in the manifest")));
    }
    Ok(())
}

/// The listed recordings that are here already, in the tenant they go to: they are skipped.
/// An id that another tenant holds cannot be imported at all.
fn already_here(
    handle: &Handle,
    db: &DatabaseConnection,
    manifest: &Manifest,
    destination: &Destination,
) -> Result<HashSet<Uuid>, ArchiveError> {
    let mut present = HashSet::new();
    let ids: Vec<Uuid> = manifest.recordings.iter().map(|entry| entry.id).collect();
    for batch in ids.chunks(1000) {
        let rows = handle
            .block_on(
                recording::Entity::find()
                    .filter(recording::Column::Id.is_in(batch.iter().copied()))
                    .all(db),
            )
            .map_err(anyhow::Error::from)?;
        for row in rows {
            let slug = manifest
                .recordings
                .iter()
                .find(|entry| entry.id == row.id)
                .map(|entry| entry.tenant_slug.clone())
                .unwrap_or_default();
            let same_tenant = match destination {
                Destination::Tenant(tenant) => row.tenant_id == tenant.id,
                Destination::Origin => handle
                    .block_on(tenant::Entity::find_by_id(row.tenant_id).one(db))
                    .map_err(anyhow::Error::from)?
                    .is_some_and(|tenant| tenant.slug == slug),
            };
            if !same_tenant {
                return Err(invalid(format!(
                    "recording {} cannot be imported here: its id is taken on this instance",
                    row.id
                )));
            }
            present.insert(row.id);
        }
    }
    Ok(present)
}

/// Copies one file into the store, checking its size, its hash and, if sealed, its header.
fn copy_checked(
    handle: &Handle,
    store: &Store,
    mut reader: impl Read,
    entry: &ManifestEntry,
    object_key: &str,
    progress: &mut impl FnMut(u64),
) -> Result<(), ArchiveError> {
    let location = ObjectPath::from(object_key);
    let upload = handle
        .block_on(store.put_multipart(&location))
        .map_err(anyhow::Error::from)?;
    let mut upload = WriteMultipart::new(upload);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut head = Vec::new();
    let mut buffer = vec![0u8; PIECE];
    let result = loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break Ok(()),
            Ok(read) => read,
            Err(error) => break Err(unreadable(&entry.file, error)),
        };
        size += read as u64;
        if size > entry.file_size {
            break Err(invalid(format!(
                "{}: longer than the manifest says",
                entry.file
            )));
        }
        if head.len() < callvault_shared::sealed::MAX_HEADER_LEN {
            head.extend_from_slice(&buffer[..read.min(callvault_shared::sealed::MAX_HEADER_LEN)]);
        }
        hasher.update(&buffer[..read]);
        upload.write(&buffer[..read]);
        progress(read as u64);
        if let Err(error) = handle.block_on(upload.wait_for_capacity(2)) {
            break Err(ArchiveError::Failed(error.into()));
        }
    };
    let result = result.and_then(|()| {
        if size != entry.file_size || hex::encode(hasher.finalize()) != entry.file_sha256 {
            return Err(invalid(format!(
                "{}: its size or SHA-256 differs from the manifest",
                entry.file
            )));
        }
        if entry.sealed {
            check_sealed_header(&head, entry)?;
        } else if crate::domain::recordings::sniff::audio_type(&head)
            != Some(entry.content_type.as_str())
        {
            return Err(invalid(format!(
                "{}: its bytes are not {}",
                entry.file, entry.content_type
            )));
        }
        Ok(())
    });
    match result {
        Ok(()) => {
            handle
                .block_on(upload.finish())
                .map_err(anyhow::Error::from)?;
            Ok(())
        }
        Err(error) => {
            let _ = handle.block_on(upload.abort());
            Err(error)
        }
    }
}

/// What the manifest says of a recording must be what an upload could have said.
fn check_entry(entry: &ManifestEntry) -> Result<(), ArchiveError> {
    let refuse = |what: &str| Err(invalid(format!("recording {}: {what}", entry.id)));
    if !crate::domain::recordings::sniff::SUPPORTED.contains(&entry.content_type.as_str()) {
        return refuse("not a supported audio type");
    }
    let fields = [
        &entry.caller,
        &entry.callee,
        &entry.agent,
        &entry.external_id,
    ];
    if fields.iter().any(|field| {
        field
            .as_ref()
            .is_some_and(|v| v.chars().count() > 200 || v.chars().any(char::is_control))
    }) {
        return refuse("metadata longer than 200 characters or with control characters");
    }
    if entry.tags.len() > 32 || entry.tags.iter().any(|tag| tag.chars().count() > 64) {
        return refuse("more than 32 tags, or a tag longer than 64 characters");
    }
    if entry.sealed_for_backup && !entry.sealed {
        return refuse("sealed for a backup, yet not sealed");
    }
    // A plaintext file is the audio itself: its size and hash are the audio's.
    if !entry.sealed && (entry.file_size != entry.size_bytes || entry.file_sha256 != entry.sha256) {
        return refuse("the audio's size or SHA-256 differs from the file's");
    }
    Ok(())
}

/// A sealed file must be the recording the manifest says, sealed to the key it names.
fn check_sealed_header(head: &[u8], entry: &ManifestEntry) -> Result<(), ArchiveError> {
    let parsed = SealedHeader::parse(head)
        .map_err(|error| invalid(format!("{}: not a sealed recording ({error})", entry.file)))?;
    let header = parsed.header;
    let fingerprint: Option<Fingerprint> = entry
        .key_fingerprint
        .as_deref()
        .and_then(|f| f.parse().ok());
    if header.recording_id != *entry.id.as_bytes()
        || header.content_type != entry.content_type
        || fingerprint.is_none_or(|f| header.slot_for(f).is_none())
    {
        return Err(invalid(format!(
            "{}: its header does not match the manifest",
            entry.file
        )));
    }
    Ok(())
}

/// Moves the copied files to their final names and writes every row in one transaction, with
/// the witness's audit record and idempotency answer.
/// What an import leaves out: recordings here already, and those never brought back.
#[derive(Debug, Clone, Copy)]
struct Left {
    already_present: u64,
    skipped: u64,
}

async fn register(
    db: &DatabaseConnection,
    store: &Store,
    copied: &[(ManifestEntry, String)],
    destination: &Destination,
    left: Left,
    witness: Option<&Witness>,
) -> Result<u64, ArchiveError> {
    let txn = crate::infra::database::begin_write(db)
        .await
        .map_err(anyhow::Error::from)?;
    let mut placed = Vec::new();
    let written = write_rows(&txn, store, copied, destination, &mut placed, left, witness).await;
    if let Err(error) = written {
        // Rolled back for certain: the files moved into place so far are nobody's.
        for object_key in placed {
            let _ = store.delete(&ObjectPath::from(object_key.as_str())).await;
        }
        return Err(error);
    }
    // A commit that fails may still have landed before the error reached us, so the placed
    // files stay: if no row names them, the sweeper removes them a day later.
    txn.commit()
        .await
        .map_err(|error| ArchiveError::Failed(error.into()))?;
    Ok(copied.len() as u64)
}

/// Moves each copied file to its final name and writes its row, then the witness's records.
async fn write_rows(
    txn: &sea_orm::DatabaseTransaction,
    store: &Store,
    copied: &[(ManifestEntry, String)],
    destination: &Destination,
    placed: &mut Vec<String>,
    left: Left,
    witness: Option<&Witness>,
) -> Result<(), ArchiveError> {
    let mut tenants: HashMap<String, tenant::Model> = HashMap::new();
    for (entry, staged) in copied {
        let tenant = match destination {
            Destination::Tenant(tenant) => tenant.clone(),
            Destination::Origin => match tenants.get(&entry.tenant_slug) {
                Some(tenant) => tenant.clone(),
                None => {
                    let tenant = origin_tenant(txn, entry).await?;
                    tenants.insert(entry.tenant_slug.clone(), tenant.clone());
                    tenant
                }
            },
        };
        if tenant.encryption_enabled && !entry.sealed {
            return Err(invalid(format!(
                "recording {} is in plaintext, and {} seals every recording: seal it first (a backup does)",
                entry.id, tenant.slug
            )));
        }
        let key_id = match &entry.key_fingerprint {
            Some(fingerprint) if entry.sealed => encryption_key::Entity::find()
                .filter(encryption_key::Column::TenantId.eq(tenant.id))
                .filter(encryption_key::Column::Fingerprint.eq(fingerprint.as_str()))
                .one(txn)
                .await
                .map_err(anyhow::Error::from)?
                .map(|key| key.id),
            _ => None,
        };
        let object_key = crate::domain::recordings::object_key(tenant.id, entry.id);
        store
            .rename(
                &ObjectPath::from(staged.as_str()),
                &ObjectPath::from(object_key.as_str()),
            )
            .await
            .map_err(anyhow::Error::from)?;
        placed.push(object_key.clone());
        row_of(entry, tenant.id, key_id, object_key)?
            .into_active_model()
            .insert(txn)
            .await
            .map_err(anyhow::Error::from)?;
    }
    if let Some(witness) = witness {
        witness_import(txn, witness, copied.len() as u64, left).await?;
    }
    Ok(())
}

/// The catalogue row of an imported entry.
fn row_of(
    entry: &ManifestEntry,
    tenant_id: Uuid,
    key_id: Option<Uuid>,
    object_key: String,
) -> anyhow::Result<recording::Model> {
    Ok(recording::Model {
        id: entry.id,
        tenant_id,
        object_key,
        content_type: entry.content_type.clone(),
        size_bytes: i64::try_from(entry.size_bytes)?,
        stored_bytes: i64::try_from(entry.file_size)?,
        sha256: entry.sha256.clone(),
        sealed: entry.sealed,
        key_id,
        key_fingerprint: entry.key_fingerprint.clone().filter(|_| entry.sealed),
        started_at: entry.started_at,
        duration_ms: entry.duration_ms.and_then(|ms| i64::try_from(ms).ok()),
        direction: entry.direction,
        caller: entry.caller.clone(),
        callee: entry.callee.clone(),
        agent: entry.agent.clone(),
        external_id: entry.external_id.clone(),
        tags: serde_json::to_string(&entry.tags)?,
        created_at: entry.created_at,
        created_by: None,
    })
}

async fn witness_import(
    txn: &sea_orm::DatabaseTransaction,
    witness: &Witness,
    imported: u64,
    left: Left,
) -> anyhow::Result<()> {
    let Left {
        already_present,
        skipped,
    } = left;
    audit::record(
        txn,
        AuditEntry::new(witness.log_tenant_id, &witness.actor, witness.action).details(
            if witness.opened_with.is_empty() {
                serde_json::json!({
                    "imported": imported,
                    "already_present": already_present,
                    "skipped": skipped,
                })
            } else {
                serde_json::json!({
                    "imported": imported,
                    "already_present": already_present,
                    "skipped": skipped,
                    "opened_with": witness.opened_with,
                })
            },
        ),
    )
    .await?;
    if let Some(pending) = &witness.idempotency {
        let answer = Remembered {
            status: 200,
            response: serde_json::to_string(&ImportOutcome {
                imported,
                already_present,
                skipped,
            })?,
        };
        idempotency::remember(txn, pending, &answer).await?;
    }
    Ok(())
}

async fn origin_tenant(
    txn: &sea_orm::DatabaseTransaction,
    entry: &ManifestEntry,
) -> Result<tenant::Model, ArchiveError> {
    if let Some(tenant) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(entry.tenant_slug.as_str()))
        .one(txn)
        .await
        .map_err(anyhow::Error::from)?
    {
        return Ok(tenant);
    }
    let valid = entry.tenant_slug.len() <= 63
        && entry
            .tenant_slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(invalid(format!(
            "{:?} is not a tenant slug",
            entry.tenant_slug
        )));
    }
    Ok(tenant::ActiveModel {
        id: sea_orm::ActiveValue::Set(Uuid::now_v7()),
        slug: sea_orm::ActiveValue::Set(entry.tenant_slug.clone()),
        name: sea_orm::ActiveValue::Set(entry.tenant_name.chars().take(200).collect()),
        created_at: sea_orm::ActiveValue::Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(anyhow::Error::from)?)
}
