//! The audit signing key: an Ed25519 key pair that signs audit checkpoints. It lives in a file,
//! never in the database, so that someone who can rewrite the database (and the audit chain's
//! head with it) cannot make a checkpoint that vouches for the rewrite.
//!
//! The file is PKCS#8 (v1 or v2), DER or PEM (`-----BEGIN PRIVATE KEY-----`, as
//! `openssl genpkey -algorithm ed25519` writes it). It must be readable by its owner only:
//! a file with any permission for its group or others is refused, as ssh refuses such a key.
//! In the data directory it is made at the first start, atomically and with mode 0600; a file
//! named by `CALLVAULT_AUDIT_SIGNING_KEY_FILE` must already exist, since every instance of a
//! deployment must sign with the same key (a missing one is more likely a mistake than a first
//! start).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::infra::config::{AUDIT_SIGNING_KEY_FILE, ConfigError};

/// The key file's name in the data directory, unless `CALLVAULT_AUDIT_SIGNING_KEY_FILE` says
/// otherwise.
pub const DEFAULT_FILE_NAME: &str = "audit-signing-key.pk8";

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Where the key file is, and whether the server may make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditKeyFile {
    pub path: PathBuf,
    /// Only for the default place in the data directory: a configured file must exist.
    pub create_if_missing: bool,
}

/// The loaded key pair. Its `Debug` shows the public key's fingerprint, nothing else.
pub struct AuditSigningKey {
    pair: Ed25519KeyPair,
}

impl fmt::Debug for AuditSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditSigningKey")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl AuditSigningKey {
    /// A key from an unencrypted PKCS#8 document, DER or PEM.
    pub fn from_pkcs8(document: &[u8]) -> Result<Self, String> {
        let der = match std::str::from_utf8(document) {
            Ok(text) if text.trim_start().starts_with(PEM_BEGIN) => pem_body(text)?,
            _ => Zeroizing::new(document.to_vec()),
        };
        let pair = Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|error| format!("not an Ed25519 private key in PKCS#8 ({error})"))?;
        Ok(Self { pair })
    }

    /// The 32 bytes of the public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key, standard base64, as the API shows it.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key())
    }

    /// SHA-256 of the public key's 32 bytes, lowercase hex.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.public_key()))
    }

    /// The Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }
}

/// Reads the key file, making it first if it is missing and `file` allows it.
pub fn load_or_create(file: &AuditKeyFile) -> Result<AuditSigningKey, ConfigError> {
    let path = &file.path;
    if file.create_if_missing && !path.exists() {
        create(path)?;
    }
    load(path)
}

fn load(path: &Path) -> Result<AuditSigningKey, ConfigError> {
    let problem = |what: String| ConfigError::new(AUDIT_SIGNING_KEY_FILE, what);
    let metadata = std::fs::metadata(path).map_err(|error| {
        problem(if error.kind() == std::io::ErrorKind::NotFound {
            format!(
                "the audit signing key file {} does not exist; copy the key file of the deployment's other instances there (every instance must use the same one)",
                path.display()
            )
        } else {
            format!("cannot read the audit signing key file {}: {error}", path.display())
        })
    })?;
    if !metadata.is_file() {
        return Err(problem(format!("{} is not a file", path.display())));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(problem(format!(
                "the audit signing key file {} is open to its group or others (mode {mode:04o}); make it readable by its owner only: chmod 600 {}",
                path.display(),
                path.display()
            )));
        }
    }
    let document = Zeroizing::new(std::fs::read(path).map_err(|error| {
        problem(format!(
            "cannot read the audit signing key file {}: {error}",
            path.display()
        ))
    })?);
    AuditSigningKey::from_pkcs8(&document).map_err(|error| {
        problem(format!(
            "the audit signing key file {} is unusable: {error}",
            path.display()
        ))
    })
}

/// A new key pair into `path`: written whole to a temporary file of mode 0600 beside it, then
/// linked into place only if no other instance got there first (theirs is then used).
fn create(path: &Path) -> Result<(), ConfigError> {
    let problem = |error: std::io::Error| {
        ConfigError::new(
            AUDIT_SIGNING_KEY_FILE,
            format!(
                "cannot create the audit signing key file {}: {error}",
                path.display()
            ),
        )
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| {
        ConfigError::new(
            AUDIT_SIGNING_KEY_FILE,
            "cannot generate an audit signing key",
        )
    })?;
    let der = Zeroizing::new(document.as_ref().to_vec());
    let mut temporary = tempfile::Builder::new()
        .prefix(".audit-signing-key-")
        .tempfile_in(dir)
        .map_err(problem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temporary
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(problem)?;
    }
    temporary.write_all(&der).map_err(problem)?;
    temporary.as_file().sync_all().map_err(problem)?;
    match temporary.persist_noclobber(path) {
        Ok(_) => {}
        Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(error) => return Err(problem(error.error)),
    }
    // The new name is durable only once its directory is.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    tracing::info!(file = %path.display(), "created the audit signing key");
    Ok(())
}

/// The DER inside a PEM `PRIVATE KEY` block.
fn pem_body(text: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let start = text.find(PEM_BEGIN).ok_or("no PEM private key")? + PEM_BEGIN.len();
    let end = start
        + text[start..]
            .find(PEM_END)
            .ok_or("the PEM private key has no end line")?;
    let base64: Zeroizing<String> = Zeroizing::new(
        text[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    );
    STANDARD
        .decode(base64.as_bytes())
        .map(Zeroizing::new)
        .map_err(|_| "the PEM private key is not valid base64".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_of(der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
            .collect();
        format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", lines.join("\n"))
    }

    #[test]
    fn der_and_pem_of_both_pkcs8_versions_load_to_the_same_key() {
        let v2 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
        let pair = Ed25519KeyPair::from_pkcs8(v2.as_ref()).expect("parsed");
        let v1 = pair.to_pkcs8v1().expect("v1");
        let expected = pair.public_key().as_ref().to_vec();
        for document in [
            v2.as_ref().to_vec(),
            v1.as_ref().to_vec(),
            pem_of(v1.as_ref()).into_bytes(),
            pem_of(v2.as_ref()).into_bytes(),
        ] {
            let key = AuditSigningKey::from_pkcs8(&document).expect("loads");
            assert_eq!(key.public_key(), expected.as_slice());
        }
        assert!(AuditSigningKey::from_pkcs8(b"not a key").is_err());
        assert!(
            AuditSigningKey::from_pkcs8(format!("{PEM_BEGIN}\n!!\n{PEM_END}\n").as_bytes())
                .is_err()
        );
    }

    #[test]
    fn the_debug_form_shows_the_fingerprint_only() {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
        let key = AuditSigningKey::from_pkcs8(document.as_ref()).expect("loads");
        let printed = format!("{key:?}");
        assert!(printed.contains(&key.fingerprint()), "{printed}");
        assert!(!printed.contains(&key.public_key_base64()), "{printed}");
        assert!(
            !printed.contains(&hex::encode(key.public_key())),
            "{printed}"
        );
    }

    #[test]
    fn a_configured_file_must_exist_and_the_default_one_is_made() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join(DEFAULT_FILE_NAME);
        let configured = AuditKeyFile {
            path: path.clone(),
            create_if_missing: false,
        };
        let error = load_or_create(&configured).expect_err("missing");
        assert_eq!(error.setting, AUDIT_SIGNING_KEY_FILE);
        assert!(error.to_string().contains("does not exist"), "{error}");
        assert!(!path.exists());

        let default = AuditKeyFile {
            create_if_missing: true,
            ..configured.clone()
        };
        let made = load_or_create(&default).expect("made");
        let again = load_or_create(&configured).expect("read back");
        assert_eq!(made.public_key(), again.public_key());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("listed")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(leftovers, [std::ffi::OsString::from(DEFAULT_FILE_NAME)]);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_open_to_others_or_malformed_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let file = AuditKeyFile {
            path: dir.path().join(DEFAULT_FILE_NAME),
            create_if_missing: true,
        };
        load_or_create(&file).expect("made");
        for mode in [0o640, 0o604, 0o620] {
            std::fs::set_permissions(&file.path, std::fs::Permissions::from_mode(mode))
                .expect("chmod");
            let error = load_or_create(&file).expect_err("open to others");
            assert!(error.to_string().contains("chmod 600"), "{error}");
        }
        std::fs::set_permissions(&file.path, std::fs::Permissions::from_mode(0o400))
            .expect("chmod");
        load_or_create(&file).expect("owner-only is fine");

        std::fs::set_permissions(&file.path, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        std::fs::write(&file.path, b"garbage").expect("written");
        let error = load_or_create(&file).expect_err("malformed");
        assert!(error.to_string().contains("unusable"), "{error}");
        // A malformed key is never replaced by a new one.
        assert_eq!(std::fs::read(&file.path).expect("read"), b"garbage");
    }
}
