use std::io::{self, Read, Write};

use zeroize::Zeroizing;

use super::{HeaderError, KeySlot, ParsedHeader, SealedHeader, SlotAlgorithm};
use crate::chunked::{self, ChunkDecryptor, ChunkKeys, DecryptReader, RandomAccess, RangeSource};
use crate::crypto::{AES_256_KEY_LEN, Crypto, DecryptError};
use crate::keys::{Fingerprint, RsaPrivateKey};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error("this recording is sealed for the key(s) {}, not for {given}", list(.sealed_for))]
    NotForThisKey {
        sealed_for: Vec<Fingerprint>,
        given: Fingerprint,
    },
    /// The file names the key, but only in slots of algorithms this version does not know.
    #[error(
        "this recording's key slot for {given} uses {}, which this callvault does not know; \
         a newer callvault may open it",
        algorithm_names(.algorithms)
    )]
    UnknownSlotAlgorithm {
        given: Fingerprint,
        algorithms: Vec<SlotAlgorithm>,
    },
    /// No slot at all is of an algorithm this version knows: no key can open it here.
    #[error(
        "none of this recording's key slots uses an algorithm this callvault knows (they use \
         {}); a newer callvault may open it",
        algorithm_names(.algorithms)
    )]
    NoUsableSlot { algorithms: Vec<SlotAlgorithm> },
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    #[error(transparent)]
    Io(io::Error),
}

impl From<io::Error> for OpenError {
    fn from(error: io::Error) -> Self {
        // A decryption failure surfacing through `Read` is still a decryption failure, and an
        // early end of file inside the header is a truncated file, which is the same thing.
        match error.kind() {
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                OpenError::Decrypt(DecryptError)
            }
            _ => OpenError::Io(error),
        }
    }
}

/// `unknown algorithm 0x02, unknown algorithm 0x03`, each named once.
fn algorithm_names(algorithms: &[SlotAlgorithm]) -> String {
    let mut names: Vec<String> = Vec::new();
    for algorithm in algorithms {
        let name = algorithm.to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

fn list(fingerprints: &[Fingerprint]) -> String {
    fingerprints
        .iter()
        .map(|fingerprint| fingerprint.to_hex())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A sealed file's header, opened with a key: the recording's chunk keys are ready.
pub struct Opened<C: Crypto> {
    pub header: SealedHeader,
    /// Where the chunked-encryption payload starts.
    pub payload_offset: u64,
    pub keys: ChunkKeys<C>,
    pub(crate) input_key: Zeroizing<[u8; AES_256_KEY_LEN]>,
    /// Which of `header.slots` gave the input key.
    pub(crate) slot_index: usize,
}

/// Unwraps the input key from a slot of `key`'s and checks it against the payload's
/// commitment (`chunk_header`: the 56 bytes after the header).
///
/// Every slot that names the key, with an algorithm this version knows, is tried in file
/// order until one yields the committed key: the slots are not authenticated, so a bogus one
/// (damaged, or added by whoever could write the file) must not hide a good one after it. If
/// none does, the result is the one [`DecryptError`], whichever step failed for which slot.
/// Slots of unknown algorithms are skipped; they only matter to say why nothing opened.
pub fn open_payload<C: Crypto>(
    parsed: ParsedHeader,
    chunk_header: &[u8; chunked::HEADER_LEN],
    key: &RsaPrivateKey<C>,
) -> Result<Opened<C>, OpenError> {
    let header = parsed.header;
    let given = key.fingerprint();
    let context = header.bound_bytes();
    let mut tried_any = false;
    for (slot_index, slot) in header.slots.iter().enumerate() {
        if slot.fingerprint != given || !slot.algorithm.is_known() {
            continue;
        }
        tried_any = true;
        if let Ok((input_key, keys)) = unwrap_slot(slot, chunk_header, &context, key) {
            return Ok(Opened {
                header,
                payload_offset: parsed.len as u64,
                keys,
                input_key,
                slot_index,
            });
        }
    }
    if tried_any {
        return Err(DecryptError.into());
    }
    Err(no_slot_for(&header, given))
}

/// One slot's input key, and the chunk keys it gives if it matches the commitment.
fn unwrap_slot<C: Crypto>(
    slot: &KeySlot,
    chunk_header: &[u8; chunked::HEADER_LEN],
    context: &[u8],
    key: &RsaPrivateKey<C>,
) -> Result<(Zeroizing<[u8; AES_256_KEY_LEN]>, ChunkKeys<C>), DecryptError> {
    let unwrapped = key.unwrap(&slot.wrapped_key)?;
    let input_key: [u8; AES_256_KEY_LEN] =
        unwrapped.expose().try_into().map_err(|_| DecryptError)?;
    let input_key = Zeroizing::new(input_key);
    let keys = ChunkKeys::for_decryption(input_key.as_ref(), chunk_header, context)?;
    Ok((input_key, keys))
}

/// Why no slot could even be tried with the key `given`: its slots are of algorithms this
/// version does not know, or the file has no slot this version can use at all (upgrading may
/// help with both), or it is sealed for other keys only.
fn no_slot_for(header: &SealedHeader, given: Fingerprint) -> OpenError {
    let unknown_for_key: Vec<SlotAlgorithm> = header
        .slots
        .iter()
        .filter(|slot| slot.fingerprint == given)
        .map(|slot| slot.algorithm)
        .collect();
    if !unknown_for_key.is_empty() {
        return OpenError::UnknownSlotAlgorithm {
            given,
            algorithms: unknown_for_key,
        };
    }
    if !header.slots.iter().any(|slot| slot.algorithm.is_known()) {
        return OpenError::NoUsableSlot {
            algorithms: header.slots.iter().map(|slot| slot.algorithm).collect(),
        };
    }
    let mut sealed_for: Vec<Fingerprint> = Vec::new();
    for slot in &header.slots {
        if !sealed_for.contains(&slot.fingerprint) {
            sealed_for.push(slot.fingerprint);
        }
    }
    OpenError::NotForThisKey { sealed_for, given }
}

/// Reads a header and the 56 bytes after it from the start of a stream, never reading past
/// them: the parser names exactly how many bytes its next field needs.
pub fn read_header<R: Read>(
    input: &mut R,
) -> Result<(ParsedHeader, [u8; chunked::HEADER_LEN]), OpenError> {
    let mut bytes = Vec::with_capacity(1024);
    let mut wanted = super::MAGIC.len();
    loop {
        fill_to(input, &mut bytes, wanted)?;
        match SealedHeader::parse(&bytes) {
            Ok(parsed) => {
                fill_to(input, &mut bytes, parsed.len + chunked::HEADER_LEN)?;
                let chunk_header: [u8; chunked::HEADER_LEN] = bytes
                    .get(parsed.len..parsed.len + chunked::HEADER_LEN)
                    .and_then(|slice| slice.try_into().ok())
                    .ok_or(DecryptError)?;
                return Ok((parsed, chunk_header));
            }
            Err(HeaderError::Incomplete(needed))
                if bytes.len() == wanted && needed > wanted && needed <= super::MAX_HEADER_LEN =>
            {
                wanted = needed;
            }
            // The file ended inside its header.
            Err(HeaderError::Incomplete(_)) => {
                return Err(HeaderError::Malformed("truncated header").into());
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Reads from `input` until `bytes` holds `len` bytes or the input ends. Reads no further than
/// `len`, so that the payload stays in `input`.
fn fill_to<R: Read>(input: &mut R, bytes: &mut Vec<u8>, len: usize) -> io::Result<()> {
    if bytes.len() < len {
        let missing = (len - bytes.len()) as u64;
        input.take(missing).read_to_end(bytes)?;
    }
    Ok(())
}

/// What opening a whole file gave.
#[derive(Debug)]
pub struct OpenSummary {
    pub header: SealedHeader,
    pub plaintext_len: u64,
}

/// Opens a whole sealed stream into `output`, in constant memory. On error, `output` may have
/// received authenticated chunks before the bad one: write to a temporary place and keep it
/// only on success.
pub fn open<C: Crypto, R: Read, W: Write>(
    key: &RsaPrivateKey<C>,
    mut input: R,
    mut output: W,
) -> Result<OpenSummary, OpenError> {
    let (parsed, chunk_header) = read_header(&mut input)?;
    let opened = open_payload(parsed, &chunk_header, key)?;
    let mut reader = DecryptReader::new(ChunkDecryptor::new(opened.keys), input);
    let plaintext_len = io::copy(&mut reader, &mut output)?;
    output.flush().map_err(OpenError::Io)?;
    Ok(OpenSummary {
        header: opened.header,
        plaintext_len,
    })
}

/// Opens a sealed file for random access: reads its header from `source` and returns the
/// header and a [`RandomAccess`] over its chunks.
pub fn open_random_access<C: Crypto, S: RangeSource + ?Sized>(
    key: &RsaPrivateKey<C>,
    source: &S,
    source_len: u64,
) -> Result<(SealedHeader, RandomAccess<C>), OpenError> {
    let head_len = source_len.min((super::MAX_HEADER_LEN) as u64);
    let head = source.read_range(0..head_len)?;
    let (parsed, chunk_header) = SealedHeader::parse_with_payload_header(&head)?;
    let opened = open_payload(parsed, &chunk_header, key)?;
    let access = RandomAccess::new(opened.keys, opened.payload_offset, source_len)?;
    Ok((opened.header, access))
}
