use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use callvault_shared::keys::KeyFile;
use callvault_shared::sealed::{self, open_random_access};

use super::key_file::{self, Unlock};
use super::output;

/// `START-END` or `START-`: byte offsets into the audio, counted from 0, as in an HTTP `Range`
/// header. END is inclusive and clamped to the last byte; `START-` runs to the end; START must
/// be a byte of the recording (START at or past its end is an error, so an empty recording has
/// no range). Only digits: no suffix form (`-N`), no sign, no spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end_inclusive: Option<u64>,
}

impl FromStr for ByteRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a byte range (START-END or START-, in bytes)");
        let (start, end) = s.split_once('-').ok_or_else(bad)?;
        let start = parse_offset(start).ok_or_else(bad)?;
        let end_inclusive = if end.is_empty() {
            None
        } else {
            Some(parse_offset(end).ok_or_else(bad)?)
        };
        if end_inclusive.is_some_and(|end| end < start) {
            return Err(format!("{s:?} ends before it starts"));
        }
        Ok(Self {
            start,
            end_inclusive,
        })
    }
}

impl ByteRange {
    /// The half-open range of a recording of `len` bytes this selects, or why none.
    pub fn within(self, len: u64) -> anyhow::Result<std::ops::Range<u64>> {
        if self.start >= len {
            bail!(
                "the range starts at byte {}, past the recording's end ({len} bytes)",
                self.start
            );
        }
        let end = self
            .end_inclusive
            .map_or(len, |end| end.saturating_add(1).min(len));
        Ok(self.start..end)
    }
}

/// Decimal digits only: `u64::from_str` would also take a leading `+`.
fn parse_offset(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
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
            let wanted = range.within(access.plaintext_len())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> Result<ByteRange, String> {
        s.parse()
    }

    #[test]
    fn ranges_parse_as_documented() {
        assert_eq!(
            range("10-20"),
            Ok(ByteRange {
                start: 10,
                end_inclusive: Some(20)
            })
        );
        assert_eq!(
            range("7-"),
            Ok(ByteRange {
                start: 7,
                end_inclusive: None
            })
        );
        assert!(range("5-5").is_ok(), "one byte");
        for bad in [
            "", "-", "-5", "5", "+5-6", "5-+6", " 5-6", "5-6 ", "5-6-7", "a-b", "6-5",
        ] {
            assert!(range(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ranges_are_inclusive_clamped_and_start_inside() {
        let within = |s: &str, len: u64| range(s).expect("parses").within(len).ok();
        assert_eq!(within("0-0", 10), Some(0..1));
        assert_eq!(within("2-5", 10), Some(2..6));
        assert_eq!(within("2-", 10), Some(2..10));
        assert_eq!(within("9-", 10), Some(9..10));
        assert_eq!(within("5-100", 10), Some(5..10), "END clamped");
        assert_eq!(within("5-18446744073709551615", 10), Some(5..10));
        assert_eq!(within("10-", 10), None, "START past the end");
        assert_eq!(within("10-20", 10), None);
        assert_eq!(within("0-", 0), None, "an empty recording has no byte 0");
    }
}
