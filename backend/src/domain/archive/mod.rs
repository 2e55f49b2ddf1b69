//! The archive: one format for bulk download, backup and moving recordings to another
//! instance. A ZIP (stored, ZIP64) of the recordings' files as stored (sealed, or sealed on the
//! fly for a backup) and a manifest that lists each with its metadata, size and SHA-256. It is
//! written as a stream and never decrypts anything; reading checks every entry against the
//! manifest before anything is registered.

pub mod backup;
pub mod central_directory;
pub mod channel_writer;
pub mod entry_reader;
pub mod export;
pub mod import;
pub mod manifest;
pub mod read;
pub mod write;

pub use manifest::{Manifest, ManifestEntry, PersonalMetadata, SealedMetadata};

/// The manifest's name inside the archive; the last entry, since it carries every file's hash.
pub const MANIFEST: &str = "manifest.json";
/// A backup's sealed personal metadata (see [`SealedMetadata`]); just before the manifest.
pub const METADATA: &str = "metadata.sealed";
/// The content type its sealed header names.
pub const METADATA_TYPE: &str = "application/json";
pub const FORMAT: &str = "callvault-archive";
pub const VERSION: u32 = 1;
