use std::path::Path;

use anyhow::{Context, bail};
use callvault_shared::crypto::KeyError;
use callvault_shared::keys::{KeyFile, import_key};

use super::{Crypto, passphrase};

/// Whether a command may ask for the passphrase of an encrypted key file.
pub enum Unlock<'a> {
    /// Sealing needs only the public half, which an encrypted file keeps behind its passphrase:
    /// the public key file is asked for instead.
    PublicHalfOnly,
    /// From this file, or asked on the terminal.
    Passphrase(Option<&'a Path>),
}

/// Reads any supported key file, unlocking an encrypted one as `unlock` allows.
pub fn load(path: &Path, unlock: Unlock<'_>) -> anyhow::Result<KeyFile<Crypto>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = match (import_key::<Crypto>(&bytes, None), unlock) {
        (Err(KeyError::NeedsPassphrase), Unlock::PublicHalfOnly) => {
            bail!(
                "{} is an encrypted private key: use its public key file",
                path.display()
            )
        }
        (Err(KeyError::NeedsPassphrase), Unlock::Passphrase(file)) => {
            let passphrase = passphrase::read(file, "Passphrase of the key file: ")?;
            import_key::<Crypto>(&bytes, Some(passphrase.as_bytes()))
        }
        (other, _) => other,
    };
    key.with_context(|| path.display().to_string())
}
