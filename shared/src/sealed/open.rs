use std::io::{self, Read, Write};

use zeroize::Zeroizing;

use super::{HeaderError, ParsedHeader, SealedHeader};
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
}

/// Unwraps the input key from `key`'s slot and checks it against the payload's commitment
/// (`chunk_header`: the 56 bytes after the header).
pub fn open_payload<C: Crypto>(
    parsed: ParsedHeader,
    chunk_header: &[u8; chunked::HEADER_LEN],
    key: &RsaPrivateKey<C>,
) -> Result<Opened<C>, OpenError> {
    let header = parsed.header;
    let slot = header
        .slot_for(key.fingerprint())
        .ok_or_else(|| OpenError::NotForThisKey {
            sealed_for: header.slots.iter().map(|slot| slot.fingerprint).collect(),
            given: key.fingerprint(),
        })?;
    let unwrapped = key.unwrap(&slot.wrapped_key)?;
    let input_key: [u8; AES_256_KEY_LEN] =
        unwrapped.expose().try_into().map_err(|_| DecryptError)?;
    let input_key = Zeroizing::new(input_key);
    let keys = ChunkKeys::for_decryption(input_key.as_ref(), chunk_header, &header.bound_bytes())?;
    Ok(Opened {
        header,
        payload_offset: parsed.len as u64,
        keys,
        input_key,
    })
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
