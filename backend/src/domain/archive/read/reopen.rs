//! What only a restore does: open the parts of a backup sealed to the backup's key (the files
//! of recordings stored in plaintext, and the personal metadata) with the key files the
//! operator gives, and put each recording back as it was stored. Nothing here runs for a
//! tenant's import, which refuses a backup of this kind.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use callvault_shared::crypto::Native;
use callvault_shared::keys::{Fingerprint, RsaPrivateKey, RsaPublicKey};
use callvault_shared::sealed::{self, Sealer};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use uuid::Uuid;

use super::super::entry_reader::EntryReader;
use super::super::{METADATA, METADATA_TYPE, Manifest, ManifestEntry, PersonalMetadata};
use super::{Archive, ArchiveError, Destination, Directory, check_entry, invalid, unreadable};
use crate::infra::entities::tenant;
use crate::infra::storage::Store;

/// Refuses, before anything is written, a backup whose sealed parts need a key that was not
/// given: the files sealed for it (those not restored already) and its personal metadata. The
/// message names every fingerprint needed.
pub(super) fn refuse_missing_keys(
    manifest: &Manifest,
    present: &HashSet<Uuid>,
    backup_keys: &[RsaPrivateKey<Native>],
) -> Result<(), ArchiveError> {
    let given: Vec<String> = backup_keys
        .iter()
        .map(|key| key.fingerprint().to_hex())
        .collect();
    let files = manifest
        .recordings
        .iter()
        .filter(|entry| entry.sealed_for_backup && !present.contains(&entry.id))
        .map(|entry| entry.key_fingerprint.clone().unwrap_or_default());
    let metadata = manifest
        .sealed_metadata
        .iter()
        .map(|metadata| metadata.key_fingerprint.clone());
    let mut missing: Vec<String> = files
        .chain(metadata)
        .filter(|fingerprint| !given.contains(fingerprint))
        .collect();
    missing.sort();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    Err(invalid(format!(
        "this backup is sealed in part (recordings that were stored in plaintext, and the \
         callers', callees' and agents' numbers) to the key {}: give its private key file with \
         --key (the System key exported from the old instance)",
        missing.join(", ")
    )))
}

/// Opens a backup's sealed personal metadata with the backup's key, checks it against the
/// manifest, and puts each recording's back into its entry. A manifest without it is returned
/// as it is.
pub(super) fn open_metadata(
    archive: &mut Archive,
    names: &Directory,
    mut manifest: Manifest,
    backup_keys: &[RsaPrivateKey<Native>],
) -> Result<Manifest, ArchiveError> {
    let Some(sealed_metadata) = manifest.sealed_metadata.take() else {
        return Ok(manifest);
    };
    let key = backup_keys
        .iter()
        .find(|key| key.fingerprint().to_hex() == sealed_metadata.key_fingerprint)
        .ok_or_else(|| {
            invalid(format!(
                "{METADATA} needs the key {}: give its file with --key",
                sealed_metadata.key_fingerprint
            ))
        })?;
    let scanned = names
        .get(METADATA)
        .ok_or_else(|| invalid(format!("{METADATA} is listed but missing")))?;
    let mut file = Vec::new();
    EntryReader::open(archive, scanned)
        .and_then(|mut reader| reader.read_to_end(&mut file))
        .map_err(|error| unreadable(METADATA, error))?;
    if file.len() as u64 != sealed_metadata.file_size
        || hex::encode(Sha256::digest(&file)) != sealed_metadata.file_sha256
    {
        return Err(invalid(format!(
            "{METADATA}: its size or SHA-256 differs from the manifest"
        )));
    }
    let mut text = Vec::new();
    let opened = sealed::open(key, file.as_slice(), &mut text)
        .map_err(|error| invalid(format!("{METADATA}: does not open ({error})")))?;
    if opened.header.recording_id != *Uuid::nil().as_bytes()
        || opened.header.content_type != METADATA_TYPE
    {
        return Err(invalid(format!("{METADATA}: not a backup's metadata")));
    }
    let mut personal: HashMap<Uuid, PersonalMetadata> = serde_json::from_slice(&text)
        .map_err(|error| invalid(format!("{METADATA} is not valid: {error}")))?;
    for entry in &mut manifest.recordings {
        if let Some(metadata) = personal.remove(&entry.id) {
            metadata.put_into(entry);
            check_entry(entry)?;
        }
    }
    if let Some(id) = personal.keys().next() {
        return Err(invalid(format!(
            "{METADATA} describes recording {id}, which the manifest does not list"
        )));
    }
    Ok(manifest)
}

/// How a file sealed for the backup goes back: opened with `key`, then stored in plaintext or
/// sealed again to its tenant's own active key.
pub(super) struct Reopen<'k> {
    key: &'k RsaPrivateKey<Native>,
    seal_to: Option<std::sync::Arc<RsaPublicKey<Native>>>,
}

/// For each file to import that was sealed only for the backup, the key that opens it and how
/// its recording is stored again. Refuses, before anything is written, an archive whose
/// backup-sealed files need a key that was not given (naming its fingerprint), and such files
/// anywhere but in a restore: the backup's key is not a tenant's.
pub(super) fn reopening<'k>(
    handle: &Handle,
    db: &DatabaseConnection,
    manifest: &Manifest,
    present: &HashSet<Uuid>,
    destination: &Destination,
    backup_keys: &'k [RsaPrivateKey<Native>],
) -> Result<HashMap<Uuid, Reopen<'k>>, ArchiveError> {
    let wanted: Vec<&ManifestEntry> = manifest
        .recordings
        .iter()
        .filter(|entry| entry.sealed_for_backup && !present.contains(&entry.id))
        .collect();
    let Some(first) = wanted.first() else {
        return Ok(HashMap::new());
    };
    if let Destination::Tenant(_) = destination {
        return Err(not_a_tenants(first));
    }
    let key_for = |entry: &ManifestEntry| {
        let fingerprint: Option<Fingerprint> = entry
            .key_fingerprint
            .as_deref()
            .and_then(|f| f.parse().ok());
        backup_keys
            .iter()
            .find(|key| Some(key.fingerprint()) == fingerprint)
    };
    let mut missing: Vec<String> = wanted
        .iter()
        .filter(|entry| key_for(entry).is_none())
        .map(|entry| entry.key_fingerprint.clone().unwrap_or_default())
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "{} recordings of this backup were sealed for it with the key {}: give its private \
             key file with --key (the System key exported from the old instance)",
            wanted
                .iter()
                .filter(|entry| key_for(entry).is_none())
                .count(),
            missing.join(", ")
        )));
    }
    let mut targets: HashMap<String, Option<std::sync::Arc<RsaPublicKey<Native>>>> = HashMap::new();
    let mut plans = HashMap::new();
    for entry in wanted {
        let Some(key) = key_for(entry) else {
            continue;
        };
        if !targets.contains_key(&entry.tenant_slug) {
            let target = handle
                .block_on(seal_target(db, &entry.tenant_slug))?
                .map(std::sync::Arc::new);
            targets.insert(entry.tenant_slug.clone(), target);
        }
        let seal_to = targets.get(&entry.tenant_slug).cloned().flatten();
        plans.insert(entry.id, Reopen { key, seal_to });
    }
    Ok(plans)
}

/// Why a tenant's import refuses a file sealed for a backup: the backup's key is not a tenant's.
pub(super) fn not_a_tenants(entry: &ManifestEntry) -> ArchiveError {
    invalid(format!(
        "recording {} was sealed for a backup, not for a tenant: a backup is restored with \
         `callvault backup restore --key FILE`, which puts its recordings back as they were stored",
        entry.id
    ))
}

/// The key a recording of this tenant is sealed to when it goes back: its active key if its
/// encryption is on; none (plaintext, as it was stored) if it is off or the tenant is new.
async fn seal_target(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<RsaPublicKey<Native>>, ArchiveError> {
    let Some(tenant) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Ok(None);
    };
    if !tenant.encryption_enabled {
        return Ok(None);
    }
    match crate::domain::encryption_keys::sealing_key(db, &tenant)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?
    {
        Some((_, public)) => Ok(Some(public)),
        None => Err(invalid(format!(
            "{slug} seals every recording now and has no active key: create or import its key \
             before restoring its recordings"
        ))),
    }
}

/// Opens a file sealed for the backup while it is read, checks the file against the manifest
/// and the audio against the recording's size, SHA-256 and type, and stages the recording as
/// it goes back (plaintext, or sealed to its tenant's key). Returns the entry as registered.
pub(super) fn copy_reopened(
    handle: &Handle,
    store: &Store,
    reader: impl Read,
    entry: &ManifestEntry,
    plan: &Reopen<'_>,
    object_key: &str,
) -> Result<ManifestEntry, ArchiveError> {
    let location = ObjectPath::from(object_key);
    let upload = handle
        .block_on(store.put_multipart(&location))
        .map_err(anyhow::Error::from)?;
    let mut staged = Staging {
        handle,
        upload: Some(WriteMultipart::new(upload)),
        stored: Sha256::new(),
        stored_len: 0,
        audio: Sha256::new(),
        audio_len: 0,
        head: Vec::new(),
        sealer: None,
        failed: None,
    };
    let result = (|| {
        if let Some(public) = &plan.seal_to {
            let (sealer, start) = Sealer::new(
                *entry.id.as_bytes(),
                &entry.content_type,
                &[public.as_ref()],
            )
            .map_err(anyhow::Error::from)?;
            staged.put(&start).map_err(anyhow::Error::from)?;
            staged.sealer = Some(sealer);
        }
        let mut file = HashingReader {
            inner: reader,
            hasher: Sha256::new(),
            len: 0,
        };
        let opened = sealed::open(plan.key, &mut file, &mut staged);
        if let Some(error) = staged.failed.take() {
            return Err(ArchiveError::Failed(error));
        }
        let header = opened
            .map_err(|error| invalid(format!("{}: does not open ({error})", entry.file)))?
            .header;
        std::io::copy(&mut file, &mut std::io::sink())
            .map_err(|error| unreadable(&entry.file, error))?;
        if file.len != entry.file_size || hex::encode(file.hasher.finalize()) != entry.file_sha256 {
            return Err(invalid(format!(
                "{}: its size or SHA-256 differs from the manifest",
                entry.file
            )));
        }
        if header.recording_id != *entry.id.as_bytes() || header.content_type != entry.content_type
        {
            return Err(invalid(format!(
                "{}: its header does not match the manifest",
                entry.file
            )));
        }
        if staged.audio_len != entry.size_bytes
            || hex::encode(staged.audio.clone().finalize()) != entry.sha256
            || crate::domain::recordings::sniff::audio_type(&staged.head)
                != Some(entry.content_type.as_str())
        {
            return Err(invalid(format!(
                "{}: the audio inside is not the recording the manifest describes",
                entry.file
            )));
        }
        if let Some(sealer) = staged.sealer.take() {
            let mut tail = Vec::new();
            sealer.finish(&mut tail).map_err(anyhow::Error::from)?;
            staged.put(&tail).map_err(anyhow::Error::from)?;
        }
        Ok(())
    })();
    let upload = staged.upload.take();
    match (result, upload) {
        (Ok(()), Some(upload)) => {
            handle
                .block_on(upload.finish())
                .map_err(anyhow::Error::from)?;
            let mut placed = entry.clone();
            placed.sealed_for_backup = false;
            placed.sealed = plan.seal_to.is_some();
            placed.file = ManifestEntry::file_name(entry.id, placed.sealed);
            match &plan.seal_to {
                Some(public) => {
                    placed.key_fingerprint = Some(public.fingerprint().to_hex());
                    placed.file_size = staged.stored_len;
                    placed.file_sha256 = hex::encode(staged.stored.finalize());
                }
                None => {
                    placed.key_fingerprint = None;
                    placed.file_size = entry.size_bytes;
                    placed.file_sha256 = entry.sha256.clone();
                }
            }
            Ok(placed)
        }
        (Ok(()), None) => Err(ArchiveError::Failed(anyhow::anyhow!(
            "the staged upload went missing"
        ))),
        (Err(error), upload) => {
            if let Some(upload) = upload {
                let _ = handle.block_on(upload.abort());
            }
            Err(error)
        }
    }
}

/// Counts and hashes what is read through it.
struct HashingReader<R: Read> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.len += read as u64;
        Ok(read)
    }
}

/// Where the opened audio goes: hashed as audio, sealed again if it is to be, and written to
/// the staged object.
struct Staging<'h> {
    handle: &'h Handle,
    upload: Option<WriteMultipart>,
    stored: Sha256,
    stored_len: u64,
    audio: Sha256,
    audio_len: u64,
    head: Vec<u8>,
    sealer: Option<Sealer<Native>>,
    /// A failure of the store (not of the archive), kept to be told apart.
    failed: Option<anyhow::Error>,
}

impl Staging<'_> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let Some(upload) = self.upload.as_mut() else {
            return Err(std::io::Error::other("the staged upload is closed"));
        };
        self.stored.update(bytes);
        self.stored_len += bytes.len() as u64;
        upload.write(bytes);
        if let Err(error) = self.handle.block_on(upload.wait_for_capacity(2)) {
            self.failed = Some(error.into());
            return Err(std::io::Error::other("the store refused the write"));
        }
        Ok(())
    }
}

impl std::io::Write for Staging<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.audio.update(buf);
        self.audio_len += buf.len() as u64;
        let limit = callvault_shared::sealed::MAX_HEADER_LEN;
        if self.head.len() < limit {
            let take = (limit - self.head.len()).min(buf.len());
            self.head.extend_from_slice(&buf[..take]);
        }
        match self.sealer.as_mut() {
            Some(sealer) => {
                let mut out = Vec::new();
                sealer
                    .update(buf, &mut out)
                    .map_err(std::io::Error::other)?;
                self.put(&out)?;
            }
            None => self.put(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
