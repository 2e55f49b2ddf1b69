use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use anyhow::Context;
use callvault_shared::chunked;
use callvault_shared::sealed::{self, SlotAlgorithm, read_header};

/// Prints what a sealed file says about itself; needs no key.
///
/// Nothing printed is authenticated: the header's fields are only checked when a key opens the
/// file, and the audio's length is implied by the file's size, which only decrypting the last
/// chunk confirms (a file cut inside its last chunk still implies a plausible length).
///
/// A file that is not a regular one (a pipe, `/dev/stdin`) has no size to ask for: it is read
/// to its end and counted, so it reports what the same bytes in a file would.
pub fn inspect(input: &Path) -> anyhow::Result<()> {
    let file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let metadata = file.metadata()?;
    let mut reader = BufReader::new(file);
    let (parsed, _) = read_header(&mut reader)?;
    let len = if metadata.is_file() {
        metadata.len()
    } else {
        let rest = std::io::copy(&mut reader, &mut std::io::sink())
            .with_context(|| format!("cannot read {}", input.display()))?;
        (parsed.len + chunked::HEADER_LEN) as u64 + rest
    };
    let header = &parsed.header;
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
    match len
        .checked_sub(parsed.len as u64)
        .and_then(chunked::plaintext_len)
    {
        Some(plaintext) => writeln!(
            out,
            "size:          {plaintext} bytes of audio (length implied by the file size, not yet \
             authenticated: only opening the last chunk with the key proves it), {len} sealed"
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
        match slot.algorithm {
            SlotAlgorithm::RsaOaepSha256 => writeln!(
                out,
                "key slot:      {} (RSA-OAEP-SHA-256, {} bits)",
                slot.fingerprint,
                slot.wrapped_key.len() * 8
            )?,
            SlotAlgorithm::Unknown(_) => writeln!(
                out,
                "key slot:      {} ({}, {}-byte wrapped key: skipped, this callvault cannot use it)",
                slot.fingerprint,
                slot.algorithm,
                slot.wrapped_key.len()
            )?,
        }
    }
    if !header.slots.iter().any(|slot| slot.algorithm.is_known()) {
        writeln!(
            out,
            "warning:       no key slot uses an algorithm this callvault knows; a newer callvault \
             may open it"
        )?;
    }
    Ok(())
}
