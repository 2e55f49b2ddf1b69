use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use callvault_shared::keys::KeyFile;
use callvault_shared::sealed::{self, open_random_access};

use super::key_file::{self, Unlock};
use super::output;

/// `START-END` (inclusive, as in HTTP) or `START-` (to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end_inclusive: Option<u64>,
}

impl FromStr for ByteRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a byte range (START-END or START-)");
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let start = start.parse().map_err(|_| bad())?;
        let end_inclusive = if end.is_empty() {
            None
        } else {
            Some(end.parse().map_err(|_| bad())?)
        };
        if end_inclusive.is_some_and(|end| end < start) {
            return Err(bad());
        }
        Ok(Self {
            start,
            end_inclusive,
        })
    }
}

/// Opens a sealed file with an exported key file into `out` (`-` for standard output).
pub fn open(
    key_file: &Path,
    passphrase_file: Option<&Path>,
    range: Option<ByteRange>,
    input: &Path,
    out: &Path,
) -> anyhow::Result<()> {
    let key = key_file::load(key_file, Unlock::Passphrase(passphrase_file))?;
    let KeyFile::Private(key) = key else {
        bail!(
            "{} holds a public key only: opening needs the private key",
            key_file.display()
        );
    };
    let file = File::open(input).with_context(|| format!("cannot read {}", input.display()))?;

    match range {
        None => output::write_to(out, |w| {
            sealed::open(&key, BufReader::with_capacity(256 * 1024, file), w)?;
            Ok(())
        }),
        Some(range) => {
            let len = file.metadata()?.len();
            let (_, access) = open_random_access(&key, &file, len)?;
            access.verify_length(&file)?;
            let end = range.end_inclusive.map_or(access.plaintext_len(), |end| {
                end.saturating_add(1).min(access.plaintext_len())
            });
            if range.start >= access.plaintext_len() && access.plaintext_len() > 0 {
                bail!(
                    "the range starts after the recording's end ({} bytes)",
                    access.plaintext_len()
                );
            }
            let wanted = range.start..end;
            output::write_to(out, |w| {
                for index in access.chunks_covering(&wanted) {
                    let chunk = access.read_chunk(&file, index)?;
                    w.write_all(access.slice_of_chunk(index, &chunk, &wanted))?;
                }
                Ok(())
            })
        }
    }
}
