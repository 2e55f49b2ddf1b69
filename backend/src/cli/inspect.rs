use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use anyhow::Context;
use callvault_shared::chunked;
use callvault_shared::sealed::{self, read_header};

/// Prints what a sealed file says about itself; needs no key.
pub fn inspect(input: &Path) -> anyhow::Result<()> {
    let file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let len = file.metadata()?.len();
    let (parsed, _) = read_header(&mut BufReader::new(file))?;
    let header = &parsed.header;
    let payload = len - parsed.len as u64;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "format:        callvault sealed recording, version {}",
        sealed::VERSION
    )?;
    writeln!(
        out,
        "recording id:  {}",
        uuid::Uuid::from_bytes(header.recording_id)
    )?;
    writeln!(out, "content type:  {}", header.content_type)?;
    match chunked::plaintext_len(payload) {
        Some(plaintext) => writeln!(
            out,
            "size:          {plaintext} bytes of audio, {len} sealed"
        )?,
        None => writeln!(
            out,
            "size:          {len} bytes sealed: not a valid length, the file is truncated or damaged"
        )?,
    }
    writeln!(
        out,
        "encryption:    AES-256-GCM, c2sp.org/chunked-encryption (HKDF-SHA-512), 16 KiB chunks"
    )?;
    for slot in &header.slots {
        writeln!(
            out,
            "key slot:      {} (RSA-OAEP-SHA-256, {} bits)",
            slot.fingerprint,
            slot.wrapped_key.len() * 8
        )?;
    }
    Ok(())
}
