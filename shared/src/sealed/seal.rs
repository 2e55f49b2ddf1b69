use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::{HeaderError, KeySlot, SealedHeader, SlotAlgorithm};
use crate::chunked::{CHUNK_SIZE, ChunkEncryptor, ChunkKeys};
use crate::crypto::{AES_256_KEY_LEN, Crypto, CryptoError, random_secret};
use crate::keys::RsaPublicKey;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What sealing saw of the plaintext, for the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealSummary {
    pub plaintext_len: u64,
    /// With [`Sealer::hashing_plaintext`] only: hashing costs a third of sealing's time.
    pub plaintext_sha256: Option<[u8; 32]>,
}

/// Seals a recording without doing I/O: the header first, then ciphertext as plaintext comes.
pub struct Sealer<C: Crypto> {
    encryptor: ChunkEncryptor<C>,
    hasher: Option<Sha256>,
    plaintext_len: u64,
}

impl<C: Crypto> Sealer<C> {
    /// A new sealer for a recording, with a fresh random input key wrapped for each recipient,
    /// and the bytes that start the sealed file.
    pub fn new(
        recording_id: [u8; 16],
        content_type: &str,
        recipients: &[&RsaPublicKey<C>],
    ) -> Result<(Self, Vec<u8>), SealError> {
        let input_key = random_secret::<AES_256_KEY_LEN>()?;
        let slots = recipients
            .iter()
            .map(|recipient| {
                Ok(KeySlot {
                    fingerprint: recipient.fingerprint(),
                    algorithm: SlotAlgorithm::RsaOaepSha256,
                    wrapped_key: recipient.wrap(input_key.as_ref())?,
                })
            })
            .collect::<Result<Vec<_>, CryptoError>>()?;
        let header = SealedHeader {
            recording_id,
            content_type: content_type.to_owned(),
            slots,
        };
        let mut start = header.encode()?;
        let (keys, chunk_header) = ChunkKeys::for_encryption(&input_key, &header.bound_bytes())?;
        start.extend_from_slice(&chunk_header);
        let sealer = Self {
            encryptor: ChunkEncryptor::new(keys),
            hasher: None,
            plaintext_len: 0,
        };
        Ok((sealer, start))
    }

    /// Also computes the plaintext's SHA-256 (for the catalogue) on the way.
    pub fn hashing_plaintext(mut self) -> Self {
        self.hasher = Some(Sha256::new());
        self
    }

    pub fn update(&mut self, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(plaintext);
        }
        self.plaintext_len += plaintext.len() as u64;
        self.encryptor.update(plaintext, out)
    }

    pub fn finish(self, out: &mut Vec<u8>) -> Result<SealSummary, CryptoError> {
        self.encryptor.finish(out)?;
        Ok(SealSummary {
            plaintext_len: self.plaintext_len,
            plaintext_sha256: self.hasher.map(|hasher| hasher.finalize().into()),
        })
    }
}

/// Seals everything `input` gives into `output`, in constant memory.
pub fn seal<C: Crypto, R: Read, W: Write>(
    recording_id: [u8; 16],
    content_type: &str,
    recipients: &[&RsaPublicKey<C>],
    mut input: R,
    mut output: W,
) -> Result<SealSummary, SealError> {
    let (mut sealer, start) = Sealer::new(recording_id, content_type, recipients)?;
    output.write_all(&start)?;
    let mut plaintext = vec![0u8; 4 * CHUNK_SIZE];
    let mut ciphertext = Vec::with_capacity(5 * CHUNK_SIZE);
    loop {
        let read = match input.read(&mut plaintext) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error.into()),
        };
        sealer.update(&plaintext[..read], &mut ciphertext)?;
        output.write_all(&ciphertext)?;
        ciphertext.clear();
    }
    let summary = sealer.finish(&mut ciphertext)?;
    output.write_all(&ciphertext)?;
    output.flush()?;
    Ok(summary)
}
