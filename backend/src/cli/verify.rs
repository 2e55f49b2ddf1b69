//! `callvault verify --chain`: a tenant that holds its own keys checks, offline, that its key
//! chain holds and that every sealed recording it got (an export archive, or sealed files) is
//! sealed only to keys in that chain. How a key swapped in by a modified server shows.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use callvault_shared::api::{KeyChain, KeyChainAction};
use callvault_shared::key_chain::{VerifiedChain, verify_chain};
use callvault_shared::keys::{Fingerprint, KeyFile};
use callvault_shared::sealed::read_header;

use super::Crypto;
use super::key_file::{self, Unlock};
use crate::domain::archive::central_directory;
use crate::domain::archive::entry_reader::EntryReader;
use crate::domain::archive::read::MAX_ENTRIES;

const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// What one file or archive entry holds.
struct Checked {
    name: String,
    problem: Option<String>,
}

pub fn verify(chain: &Path, key: Option<&Path>, inputs: &[PathBuf]) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(chain)
        .with_context(|| format!("cannot read {}", chain.display()))?;
    let chain: KeyChain = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key chain (GET …/keys/chain)", chain.display()))?;
    let verified = verify_chain::<Crypto>(&chain).context("the key chain does not hold")?;
    let mut out = std::io::stdout().lock();
    report_chain(&mut out, &chain, &verified)?;
    if let Some(key) = key {
        check_pinned(&verified, key)?;
        writeln!(out, "pinned key:    {} is yours", key.display())?;
    }
    let plaintext_allowed = chain
        .links
        .iter()
        .any(|link| link.action == KeyChainAction::EncryptionOff);
    let mut checked = Vec::new();
    for input in inputs {
        checked.extend(check_input(input, &verified, plaintext_allowed)?);
    }
    let bad: Vec<&Checked> = checked.iter().filter(|c| c.problem.is_some()).collect();
    for item in &bad {
        writeln!(
            out,
            "NOT OK:        {}: {}",
            item.name,
            item.problem.as_deref().unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "recordings:    {} checked, {} sealed only to keys of the chain",
        checked.len(),
        checked.len() - bad.len()
    )?;
    if !bad.is_empty() {
        bail!(
            "{} recordings are not sealed only to the tenant's keys",
            bad.len()
        );
    }
    Ok(())
}

fn report_chain(
    out: &mut impl Write,
    chain: &KeyChain,
    verified: &VerifiedChain<Crypto>,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "key chain:     tenant {}, {} links, every signature verifies",
        chain.tenant_id, verified.links
    )?;
    if let Some(pinned) = verified.pinned {
        writeln!(out, "pinned key:    {pinned}")?;
    }
    for seq in &verified.repins {
        writeln!(
            out,
            "note:          link {seq} pins a key again, after a signed return to provider-held keys"
        )?;
    }
    for fingerprint in verified.keys.keys() {
        writeln!(out, "chained key:   {fingerprint}")?;
    }
    Ok(())
}

/// The chain must start from the tenant's own key, not one a server chose.
fn check_pinned(verified: &VerifiedChain<Crypto>, key: &Path) -> anyhow::Result<()> {
    let fingerprint = match key_file::load(key, Unlock::PublicHalfOnly)? {
        KeyFile::Private(key) => key.fingerprint(),
        KeyFile::Public(key) => key.fingerprint(),
    };
    if verified.pinned != Some(fingerprint) {
        bail!(
            "the chain is pinned to {}, not to {} ({fingerprint}): this is not your key chain",
            verified.pinned.map(|f| f.to_hex()).unwrap_or_default(),
            key.display()
        );
    }
    Ok(())
}

fn check_input(
    input: &Path,
    verified: &VerifiedChain<Crypto>,
    plaintext_allowed: bool,
) -> anyhow::Result<Vec<Checked>> {
    let mut file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let mut magic = [0u8; 4];
    let is_zip = file.read_exact(&mut magic).is_ok() && &magic == ZIP_MAGIC;
    let file = File::open(input)?;
    if !is_zip {
        let name = input.display().to_string();
        return Ok(vec![check_sealed(name, BufReader::new(file), verified)]);
    }
    // The import's own reading of an archive: a name twice, entries sharing bytes or a header
    // that contradicts the directory make it unreadable here too, rather than read one way.
    let mut archive = BufReader::new(file);
    let entries = central_directory::scan(&mut archive, MAX_ENTRIES + 1).map_err(|error| {
        anyhow::anyhow!("{} is not a readable archive: {error}", input.display())
    })?;
    let mut checked = Vec::new();
    for entry in &entries {
        let name = format!("{}: {}", input.display(), entry.name);
        if entry.name.ends_with(".cvrec") {
            let data = EntryReader::open(&mut archive, entry)
                .with_context(|| format!("{name} cannot be read"))?;
            checked.push(check_sealed(name, data, verified));
        } else if entry.name.ends_with(".audio") {
            checked.push(Checked {
                name,
                problem: (!plaintext_allowed).then(|| {
                    "stored unencrypted, and the chain has no signed switch to plaintext".into()
                }),
            });
        }
    }
    Ok(checked)
}

/// A sealed recording's key slots must all name keys of the chain.
fn check_sealed(name: String, mut input: impl Read, verified: &VerifiedChain<Crypto>) -> Checked {
    let problem = match read_header(&mut input) {
        Err(_) => Some("not a sealed recording, or its header is damaged".into()),
        Ok((parsed, _)) => {
            let recording = uuid::Uuid::from_bytes(parsed.header.recording_id);
            let foreign: Vec<Fingerprint> = parsed
                .header
                .slots
                .iter()
                .map(|slot| slot.fingerprint)
                .filter(|fingerprint| !verified.keys.contains_key(fingerprint))
                .collect();
            (!foreign.is_empty()).then(|| {
                format!(
                    "recording {recording} is sealed to a key outside the chain: {}",
                    foreign
                        .iter()
                        .map(|f| f.to_hex())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        }
    };
    Checked { name, problem }
}
