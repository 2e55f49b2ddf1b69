//! Object storage for recording bytes, behind `object_store`: a local directory by default.

use std::sync::Arc;
use std::time::Duration;

use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{ConfigError, STORAGE_URL, StorageLocation};

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
                .with_automatic_cleanup(true);
            Arc::new(store)
        }
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

/// Whether the store still answers and still holds its marker, for `/readyz`.
pub async fn is_reachable(store: &dyn ObjectStore) -> bool {
    tokio::time::timeout(
        Duration::from_secs(2),
        store.head(&ObjectPath::from(MARKER)),
    )
    .await
    .is_ok_and(|head| head.is_ok())
}
