//! Object storage for recording bytes, behind `object_store`: a local directory by default, an
//! S3-compatible bucket at scale.

use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

use crate::infra::block_cache::BlockCache;
use crate::infra::config::{ConfigError, S3Location, STORAGE_URL, StorageLocation};

pub type Store = Arc<dyn ObjectStore>;

/// An object every callvault store holds. Writing it at start proves the store takes writes;
/// finding it later proves the store is still there and is the one we started with.
const MARKER: &str = "callvault-store";

/// Opens the store and writes its marker object.
pub async fn open(location: &StorageLocation) -> Result<Store, ConfigError> {
    let unusable = |error: &dyn std::fmt::Display| ConfigError::new(STORAGE_URL, error.to_string());
    let store: Store = match location {
        StorageLocation::Directory(dir) => {
            std::fs::create_dir_all(dir).map_err(|error| {
                ConfigError::new(
                    STORAGE_URL,
                    format!("cannot create {}: {error}", dir.display()),
                )
            })?;
            let store = LocalFileSystem::new_with_prefix(dir)
                .map_err(|error| unusable(&error))?
                // Deleting a recording's last object should not leave empty folders behind.
                .with_automatic_cleanup(true)
                // The file, then the directory entries that name it, reach the disk before a
                // write returns: the catalogue row is committed only after that, so a power
                // cut can never leave a row whose bytes were still in the page cache. (A
                // bucket acknowledges a write only once it is durable by itself.)
                .with_fsync(true);
            Arc::new(store)
        }
        StorageLocation::S3(s3) => s3_store(s3).map_err(|error| unusable(&error))?,
    };
    store
        .put(
            &ObjectPath::from(MARKER),
            PutPayload::from_static(b"callvault object store\n"),
        )
        .await
        .map_err(|error| {
            ConfigError::new(
                STORAGE_URL,
                format!("cannot write to the object store: {error}"),
            )
        })?;
    Ok(store)
}

/// A bucket, reached with the credentials in the standard `AWS_*` variables. Requests give
/// up quickly: while the store is away, an upload or a playback should fail within seconds
/// (503) rather than hold its client for minutes of retries.
fn s3_store(s3: &S3Location) -> object_store::Result<Store> {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&s3.bucket)
        .with_virtual_hosted_style_request(!s3.path_style)
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(2))
                .with_timeout(Duration::from_secs(30)),
        )
        .with_retry(RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(5),
            ..RetryConfig::default()
        });
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(region) = &s3.region {
        builder = builder.with_region(region);
    }
    let bucket = builder.build()?;
    Ok(if s3.prefix.is_empty() {
        Arc::new(bucket)
    } else {
        Arc::new(PrefixStore::new(bucket, s3.prefix.as_str()))
    })
}

/// Whether the store still answers and still holds its marker, for `/readyz`.
pub async fn is_reachable(store: &dyn ObjectStore) -> bool {
    tokio::time::timeout(
        Duration::from_secs(2),
        store.head(&ObjectPath::from(MARKER)),
    )
    .await
    .is_ok_and(|head| head.is_ok())
}

/// Ranges up to this long are read from a local file, and opened, in place rather than on the
/// blocking pool: a seek of 64 KiB in a sealed recording reads 80 KiB.
const READ_IN_PLACE: u64 = 96 * 1024;

/// Byte ranges of stored objects, playback's hot path. From a local directory the file is read
/// in place or on the blocking pool ([`READ_IN_PLACE`]), and what the caller does with the
/// bytes (opening sealed chunks) runs in the same place: at most one hop off the executor,
/// where the store's `get_range` takes two, a `stat` and a zeroed buffer. From a bucket,
/// through the store.
#[derive(Clone)]
pub struct RangeReads {
    store: Store,
    directory: Option<Arc<LocalFileSystem>>,
    /// A bucket's blocks kept for seeks; none for a directory, or when configured away.
    blocks: Option<Arc<BlockCache>>,
}

impl RangeReads {
    /// Reads of `store`, opened at `location`; from a bucket, seeks keep up to `cache_bytes`
    /// of its blocks.
    pub fn new(
        store: Store,
        location: &StorageLocation,
        cache_bytes: u64,
    ) -> Result<Self, ConfigError> {
        let (directory, blocks) = match location {
            StorageLocation::Directory(dir) => (
                Some(Arc::new(LocalFileSystem::new_with_prefix(dir).map_err(
                    |error| ConfigError::new(STORAGE_URL, error.to_string()),
                )?)),
                None,
            ),
            StorageLocation::S3(_) => (
                None,
                (cache_bytes > 0).then(|| Arc::new(BlockCache::new(cache_bytes))),
            ),
        };
        Ok(Self {
            store,
            directory,
            blocks,
        })
    }

    /// The store itself, for what is not a ranged read.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `range` of the object at `location` (`object_len` long, as the catalogue says), handed
    /// to `then` in place or off the executor ([`READ_IN_PLACE`]). An object that ends before
    /// the range does is an error, as the store's `get_range` makes it.
    pub async fn read_then<T, F>(
        &self,
        location: &ObjectPath,
        range: Range<u64>,
        object_len: u64,
        then: F,
    ) -> object_store::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Bytes) -> T + Send + 'static,
    {
        let in_place = range.end.saturating_sub(range.start) <= READ_IN_PLACE;
        let Some(directory) = &self.directory else {
            // A seek's range through the kept blocks; a download's pieces straight from the
            // store, so that one long recording does not push out every other's blocks.
            let bytes = match &self.blocks {
                Some(blocks) if in_place => {
                    blocks
                        .read(self.store.as_ref(), location, range, object_len)
                        .await?
                }
                _ => self.store.get_range(location, range).await?,
            };
            if in_place {
                return Ok(then(bytes));
            }
            return tokio::task::spawn_blocking(move || then(bytes))
                .await
                .map_err(|error| object_store::Error::JoinError { source: error });
        };
        let path = directory.path_to_filesystem(location)?;
        let read = move || {
            let unreadable = |source: std::io::Error| match source.kind() {
                ErrorKind::NotFound => object_store::Error::NotFound {
                    path: path.display().to_string(),
                    source: source.into(),
                },
                _ => object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: source.into(),
                },
            };
            let mut file = std::fs::File::open(&path).map_err(unreadable)?;
            file.seek(SeekFrom::Start(range.start))
                .map_err(unreadable)?;
            let wanted = range.end.saturating_sub(range.start);
            let mut bytes = Vec::with_capacity(usize::try_from(wanted).unwrap_or_default());
            file.take(wanted)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            if (bytes.len() as u64) < wanted {
                return Err(unreadable(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "the object ends {} bytes before the range {range:?} does",
                        wanted - bytes.len() as u64
                    ),
                )));
            }
            Ok(then(Bytes::from(bytes)))
        };
        // A seek's few chunks are read and opened in less time than the hop to the blocking
        // pool and back costs (a tenth of a seek's time under load went to those switches),
        // so they are read where the request runs, as nginx reads a file; longer pieces,
        // which a download reads one after another, go to the pool.
        if in_place {
            return read();
        }
        tokio::task::spawn_blocking(read)
            .await
            .map_err(|error| object_store::Error::JoinError { source: error })?
    }
}
