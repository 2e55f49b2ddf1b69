//! Writing an archive to any `Write` (an HTTP response through a channel, a backup file), on a
//! blocking thread: object reads are bridged to the async store with the runtime's handle.

use std::io::Write;

use callvault_shared::crypto::Native;
use callvault_shared::keys::RsaPublicKey;
use callvault_shared::sealed::Sealer;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{
    FORMAT, MANIFEST, METADATA, METADATA_TYPE, Manifest, ManifestEntry, PersonalMetadata,
    SealedMetadata, VERSION,
};
use crate::infra::entities::recording;
use crate::infra::storage::Store;

const PIECE: u64 = 4 * 1024 * 1024;

/// One recording to put in an archive.
pub struct Item {
    pub row: recording::Model,
    pub tenant_slug: String,
    pub tenant_name: String,
    /// For a backup: the key to seal a recording stored in plaintext with, on the fly (the
    /// System key: the manifest marks such a file `sealed_for_backup`).
    pub seal_with: Option<std::sync::Arc<RsaPublicKey<Native>>>,
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true)
        .unix_permissions(0o600)
}

/// Writes `items` and the manifest; calls `progress` with the bytes written after each piece.
/// With `metadata_key` (a backup's), the recordings' personal metadata is sealed to it in
/// [`METADATA`] instead of written in the clear.
pub fn write_archive<W: Write>(
    handle: &Handle,
    store: &Store,
    items: Vec<Item>,
    metadata_key: Option<&RsaPublicKey<Native>>,
    out: W,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Manifest> {
    let mut zip = ZipWriter::new_stream(out);
    let mut entries = Vec::with_capacity(items.len());
    let mut personal = std::collections::BTreeMap::new();
    for item in items {
        let mut entry = ManifestEntry::describe(&item.row, &item.tenant_slug, &item.tenant_name);
        if metadata_key.is_some() {
            personal.insert(entry.id, PersonalMetadata::take_from(&mut entry));
        }
        let seal = match (&item.seal_with, item.row.sealed) {
            (Some(key), false) => Some(key.as_ref()),
            _ => None,
        };
        if let Some(key) = seal {
            entry.sealed = true;
            entry.sealed_for_backup = true;
            entry.key_fingerprint = Some(key.fingerprint().to_hex());
            entry.file = ManifestEntry::file_name(item.row.id, true);
        }
        zip.start_file(entry.file.clone(), options())?;
        let mut hashing = HashingWriter::new(&mut zip);
        let location = ObjectPath::from(item.row.object_key.as_str());
        let stored = u64::try_from(item.row.stored_bytes)?;
        let mut sealer = match seal {
            Some(key) => {
                let (sealer, start) =
                    Sealer::new(*item.row.id.as_bytes(), &item.row.content_type, &[key])?;
                hashing.write_all(&start)?;
                Some(sealer)
            }
            None => None,
        };
        let mut sealed = Vec::new();
        let mut at = 0;
        while at < stored {
            let end = (at + PIECE).min(stored);
            let piece = handle.block_on(item_piece(store, &location, at..end))?;
            match &mut sealer {
                Some(sealer) => {
                    sealer.update(&piece, &mut sealed)?;
                    hashing.write_all(&sealed)?;
                    sealed.clear();
                }
                None => hashing.write_all(&piece)?,
            }
            progress(end - at);
            at = end;
        }
        if let Some(sealer) = sealer {
            sealer.finish(&mut sealed)?;
            hashing.write_all(&sealed)?;
        }
        let (size, hash) = hashing.finish();
        entry.file_size = size;
        entry.file_sha256 = hash;
        entries.push(entry);
    }
    let sealed_metadata = match metadata_key {
        Some(key) => {
            zip.start_file(METADATA, options())?;
            let mut hashing = HashingWriter::new(&mut zip);
            let (sealer, start) =
                Sealer::new(*uuid::Uuid::nil().as_bytes(), METADATA_TYPE, &[key])?;
            hashing.write_all(&start)?;
            let mut sealed = Vec::new();
            let mut sealer = sealer;
            sealer.update(&serde_json::to_vec(&personal)?, &mut sealed)?;
            sealer.finish(&mut sealed)?;
            hashing.write_all(&sealed)?;
            let (file_size, file_sha256) = hashing.finish();
            Some(SealedMetadata {
                file: METADATA.into(),
                file_size,
                file_sha256,
                key_fingerprint: key.fingerprint().to_hex(),
            })
        }
        None => None,
    };
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: chrono::Utc::now(),
        recordings: entries,
        sealed_metadata,
    };
    zip.start_file(MANIFEST, options())?;
    serde_json::to_writer_pretty(&mut zip, &manifest)?;
    zip.finish()?.into_inner().flush()?;
    Ok(manifest)
}

async fn item_piece(
    store: &Store,
    location: &ObjectPath,
    range: std::ops::Range<u64>,
) -> anyhow::Result<bytes::Bytes> {
    Ok(store.get_range(location, range).await?)
}

/// Counts and hashes what passes through.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            len: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.len, hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.len += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
