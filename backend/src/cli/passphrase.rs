//! Passphrases: from a file (for scripts) or asked on the terminal, never from an argument
//! (which other users could read in the process list).

use std::path::Path;

use anyhow::{Context, bail};
use zeroize::Zeroizing;

/// Exported keys are protected by at least this many characters, as in the web app and the API.
pub use callvault_shared::api::MIN_EXPORT_PASSPHRASE as MIN_EXPORT_LEN;

/// The passphrase in `file` (its first line), or asked for on the terminal.
pub fn read(file: Option<&Path>, prompt: &str) -> anyhow::Result<Zeroizing<String>> {
    match file {
        Some(file) => from_file(file),
        None => Ok(Zeroizing::new(rpassword::prompt_password(prompt).context(
            "cannot read a passphrase from the terminal (use --passphrase-file)",
        )?)),
    }
}

/// A new passphrase: from `file`, or typed twice on the terminal.
pub fn read_new(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let passphrase = match file {
        Some(file) => from_file(file)?,
        None => {
            let first = read(None, "Passphrase for the new key file: ")?;
            let second = read(None, "The same passphrase again: ")?;
            if first != second {
                bail!("the two passphrases differ");
            }
            first
        }
    };
    if passphrase.chars().count() < MIN_EXPORT_LEN {
        bail!("the passphrase must have at least {MIN_EXPORT_LEN} characters");
    }
    Ok(passphrase)
}

fn from_file(file: &Path) -> anyhow::Result<Zeroizing<String>> {
    let contents = Zeroizing::new(
        std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the passphrase file {}", file.display()))?,
    );
    Ok(Zeroizing::new(
        contents.lines().next().unwrap_or_default().to_owned(),
    ))
}
