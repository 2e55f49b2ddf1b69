//! `callvault audit verify`: an export of a tenant's audit log against a checkpoint the server
//! signed earlier, offline (no server, no database). It recomputes every record's hash with
//! the server's own function ([`chain::hash_link`]), follows the chain from record 1, and
//! checks that record `length` of the export still hashes to the head the checkpoint
//! certified. Whoever rewrote the database (records and head alike) cannot make that hold
//! without the signing key, which the database never held.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::{Context, bail};
use aws_lc_rs::signature::{ED25519, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callvault_shared::api::{
    AuditCheckpoint, AuditEvent, AuditSigningKey, CHECKPOINT_ALGORITHM, CHECKPOINT_VERSION,
};
use chrono::SecondsFormat;
use sha2::{Digest, Sha256};

use crate::domain::audit::chain;

/// What a successful check found.
#[derive(Debug, PartialEq, Eq)]
pub struct Extends {
    /// Records in the export.
    pub records: u64,
    /// Of which the checkpoint certified the first this many.
    pub certified: u64,
}

/// Checks `export` (a file, or `-` for standard input) against `checkpoint` and the trusted
/// public key `signing_key`, and says so on standard output; the first problem is the error.
pub fn verify(checkpoint: &Path, signing_key: &str, export: &Path) -> anyhow::Result<()> {
    let key = read_public_key(signing_key)?;
    let text = std::fs::read_to_string(checkpoint)
        .with_context(|| format!("cannot read the checkpoint {}", checkpoint.display()))?;
    let checkpoint: AuditCheckpoint = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a checkpoint (GET /api/v1/tenants/{{tenant}}/audit/checkpoint)",
            checkpoint.display()
        )
    })?;
    let lines: Box<dyn BufRead> = if export == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(export).with_context(|| {
            format!("cannot read the export {}", export.display())
        })?))
    };
    let found = check(&checkpoint, &key, lines)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "checkpoint of tenant {}: {} records, signed at {} by the key with fingerprint {}",
        checkpoint.tenant_id,
        checkpoint.length,
        checkpoint.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        hex::encode(Sha256::digest(key)),
    )?;
    writeln!(
        out,
        "the export extends the checkpoint: {} records, the first {} as certified",
        found.records, found.certified
    )?;
    Ok(())
}

/// The 32 bytes of the public key given as base64, or as a file holding the base64 or the JSON
/// of `GET /api/v1/audit/signing-key`.
fn read_public_key(given: &str) -> anyhow::Result<[u8; 32]> {
    let path = Path::new(given);
    let text = if path.is_file() {
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?
    } else {
        given.to_owned()
    };
    let text = text.trim();
    let base64 = if text.starts_with('{') {
        let published: AuditSigningKey = serde_json::from_str(text).with_context(|| {
            format!("--signing-key: {given} is not the JSON of GET /api/v1/audit/signing-key")
        })?;
        if published.algorithm != CHECKPOINT_ALGORITHM {
            bail!(
                "--signing-key: the algorithm is {:?}, callvault signs checkpoints with {CHECKPOINT_ALGORITHM}",
                published.algorithm
            );
        }
        published.public_key
    } else {
        text.to_owned()
    };
    let bytes = STANDARD.decode(base64.trim()).ok().with_context(|| {
        format!(
            "--signing-key: {given} is neither a file nor a base64 public key (a file may hold the base64 or the JSON of GET /api/v1/audit/signing-key)"
        )
    })?;
    bytes.try_into().map_err(|bytes: Vec<u8>| {
        anyhow::anyhow!(
            "--signing-key: an Ed25519 public key is 32 bytes, this one is {}",
            bytes.len()
        )
    })
}

/// The checkpoint's signature, then the export record by record. The error names the first
/// problem.
pub fn check(
    checkpoint: &AuditCheckpoint,
    key: &[u8; 32],
    export: impl BufRead,
) -> anyhow::Result<Extends> {
    if checkpoint.version != CHECKPOINT_VERSION {
        bail!(
            "the checkpoint is of version {}; this callvault knows version {CHECKPOINT_VERSION}",
            checkpoint.version
        );
    }
    let named = STANDARD
        .decode(&checkpoint.signing_key)
        .ok()
        .context("the checkpoint's signing_key is not base64")?;
    if named.as_slice() != key.as_slice() {
        bail!(
            "the checkpoint was signed by another key (fingerprint {}) than the one given (fingerprint {}): it does not come from the server you trust, or that server's key changed",
            hex::encode(Sha256::digest(&named)),
            hex::encode(Sha256::digest(key))
        );
    }
    let signature = STANDARD
        .decode(&checkpoint.signature)
        .ok()
        .context("the checkpoint's signature is not base64")?;
    UnparsedPublicKey::new(&ED25519, key)
        .verify(checkpoint.signed_text().as_bytes(), &signature)
        .ok()
        .context(
            "the checkpoint's signature does not verify with the given key: the checkpoint was altered after it was signed",
        )?;
    if checkpoint.length == 0 && checkpoint.head != hex::encode(chain::GENESIS) {
        bail!("the checkpoint covers no records but names a head other than the genesis zeros");
    }

    let mut previous = chain::GENESIS.to_vec();
    let mut records = 0u64;
    for (index, line) in export.lines().enumerate() {
        let line = line.context("cannot read the export")?;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent = serde_json::from_str(&line).with_context(|| {
            format!(
                "line {} of the export is not an audit record (with prev_hash and hash)",
                index + 1
            )
        })?;
        let seq = event.seq;
        let expected = i64::try_from(records + 1).context("too many records")?;
        if event.tenant_id != checkpoint.tenant_id {
            bail!(
                "record {seq} of the export belongs to tenant {}, the checkpoint to tenant {}",
                event.tenant_id,
                checkpoint.tenant_id
            );
        }
        if seq != expected {
            if records == 0 {
                bail!(
                    "the export starts at record {seq}, not 1: verifying needs the whole log, an export taken without filters (GET /api/v1/tenants/{{tenant}}/audit/export with no query)"
                );
            }
            bail!(
                "record {expected} is missing from the export (record {} is followed by {seq}): records were deleted, or the export was filtered (verifying needs one taken without filters)",
                expected - 1
            );
        }
        let prev_hash = hex::decode(&event.prev_hash)
            .ok()
            .with_context(|| format!("record {seq}'s prev_hash is not hex"))?;
        let hash = hex::decode(&event.hash)
            .ok()
            .with_context(|| format!("record {seq}'s hash is not hex"))?;
        if prev_hash != previous {
            bail!(
                "record {seq} does not follow record {}: the record before it was removed, inserted or replaced",
                seq - 1
            );
        }
        let details = serde_json::to_string(&event.details)?;
        let link = chain::Link {
            id: event.id,
            tenant_id: event.tenant_id,
            seq,
            at: event.at,
            actor_id: event.actor_id,
            actor: &event.actor,
            action: &event.action,
            object_type: event.object_type.as_deref(),
            object_id: event.object_id.as_deref(),
            outcome: event.outcome,
            origin: &event.origin,
            details: &details,
            prev_hash: &prev_hash,
        };
        if chain::hash_link(&link).as_slice() != hash.as_slice() {
            bail!("record {seq} was altered: its hash does not match its contents");
        }
        records += 1;
        if records == checkpoint.length && hex::encode(&hash) != checkpoint.head {
            bail!(
                "record {seq}'s chain differs from the checkpoint: the log was rewritten (record {seq} hashes to {}, the checkpoint certified {})",
                hex::encode(&hash),
                checkpoint.head
            );
        }
        previous = hash;
    }
    if records < checkpoint.length {
        bail!(
            "the export ends at record {records} but the checkpoint covers {} records: the newest records were deleted",
            checkpoint.length
        );
    }
    Ok(Extends {
        records,
        certified: checkpoint.length,
    })
}
