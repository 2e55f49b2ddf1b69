use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use callvault_shared::keys::KeyFile;
use callvault_shared::sealed;

use super::key_file::{self, Unlock};
use super::output;

/// Seals `input` for the key in `key_file` (a public key, or a private key's public half).
pub fn seal(
    key_file: &Path,
    content_type: Option<&str>,
    id: Option<uuid::Uuid>,
    input: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let key = key_file::load(key_file, Unlock::PublicHalfOnly)?;
    let recipient = match &key {
        KeyFile::Private(private) => private.public_key(),
        KeyFile::Public(public) => public,
    };
    let content_type = content_type
        .map(str::to_owned)
        .unwrap_or_else(|| guess_content_type(input));
    let id = id.unwrap_or_else(uuid::Uuid::new_v4);
    let file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    output::write_to(out, |w| {
        sealed::seal(
            *id.as_bytes(),
            &content_type,
            &[recipient],
            BufReader::with_capacity(256 * 1024, file),
            w,
        )?;
        Ok(())
    })?;
    eprintln!(
        "sealed {id} ({content_type}) for {}",
        recipient.fingerprint()
    );
    Ok(())
}

fn guess_content_type(input: &Path) -> String {
    let extension = input
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" | "oga" => "audio/ogg",
        "flac" => "audio/flac",
        "m4a" | "mp4" | "aac" => "audio/mp4",
        "webm" => "audio/webm",
        _ => "application/octet-stream",
    }
    .to_owned()
}
