use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{COMMITMENT_LEN, HEADER_LEN, MAX_CHUNKS, SALT_LEN};
use crate::crypto::{
    AES_256_KEY_LEN, Aes256Gcm, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    random_bytes,
};

/// `"c2sp.org/chunked-encryption@v1+" || aead || 0x00`, the start of the HKDF info.
const INFO_PREFIX: &[u8] = b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\0";

/// The AEAD key and base nonce of one message, derived from its input key, salt and context.
pub struct ChunkKeys<C: Crypto> {
    aead: C::Aead,
    base_nonce: [u8; GCM_NONCE_LEN],
}

impl<C: Crypto> ChunkKeys<C> {
    /// Keys for a new message, and the 56 bytes (salt, commitment) that must precede it.
    pub fn for_encryption(
        input_key: &[u8; AES_256_KEY_LEN],
        context: &[u8],
    ) -> Result<(Self, [u8; HEADER_LEN]), CryptoError> {
        let salt = random_bytes::<SALT_LEN>()?;
        let (keys, commitment) = Self::derive(input_key, &salt, context)?;
        let mut header = [0u8; HEADER_LEN];
        header[..SALT_LEN].copy_from_slice(&salt);
        header[SALT_LEN..].copy_from_slice(&commitment);
        Ok((keys, header))
    }

    /// Keys for an existing message, after checking its commitment: a wrong key or a wrong
    /// context fails here, before any chunk is decrypted.
    pub fn for_decryption(
        input_key: &[u8],
        header: &[u8; HEADER_LEN],
        context: &[u8],
    ) -> Result<Self, DecryptError> {
        let input_key: &[u8; AES_256_KEY_LEN] = input_key.try_into().map_err(|_| DecryptError)?;
        let salt: &[u8; SALT_LEN] = header[..SALT_LEN].try_into().map_err(|_| DecryptError)?;
        let (keys, commitment) =
            Self::derive(input_key, salt, context).map_err(|_| DecryptError)?;
        if bool::from(commitment.ct_eq(&header[SALT_LEN..])) {
            Ok(keys)
        } else {
            Err(DecryptError)
        }
    }

    /// The specification's raw mode: key and base nonce given, no salt and no commitment.
    /// Only for checking against test vectors.
    pub fn raw(aead_key: &[u8; AES_256_KEY_LEN], base_nonce: [u8; GCM_NONCE_LEN]) -> Self {
        Self {
            aead: C::aes_256_gcm(aead_key),
            base_nonce,
        }
    }

    fn derive(
        input_key: &[u8; AES_256_KEY_LEN],
        salt: &[u8; SALT_LEN],
        context: &[u8],
    ) -> Result<(Self, [u8; COMMITMENT_LEN]), CryptoError> {
        let mut info = Vec::with_capacity(INFO_PREFIX.len() + SALT_LEN + context.len());
        info.extend_from_slice(INFO_PREFIX);
        info.extend_from_slice(salt);
        info.extend_from_slice(context);
        let mut okm = Zeroizing::new([0u8; AES_256_KEY_LEN + GCM_NONCE_LEN + COMMITMENT_LEN]);
        C::hkdf_sha512_expand(input_key, &info, okm.as_mut())?;

        let mut aead_key = Zeroizing::new([0u8; AES_256_KEY_LEN]);
        aead_key.copy_from_slice(&okm[..AES_256_KEY_LEN]);
        let mut base_nonce = [0u8; GCM_NONCE_LEN];
        base_nonce.copy_from_slice(&okm[AES_256_KEY_LEN..AES_256_KEY_LEN + GCM_NONCE_LEN]);
        let mut commitment = [0u8; COMMITMENT_LEN];
        commitment.copy_from_slice(&okm[AES_256_KEY_LEN + GCM_NONCE_LEN..]);
        Ok((Self::raw(&aead_key, base_nonce), commitment))
    }

    fn nonce(&self, index: u64) -> Result<[u8; GCM_NONCE_LEN], CryptoError> {
        if index >= MAX_CHUNKS {
            return Err(CryptoError("message longer than 4 PiB"));
        }
        let mut nonce = self.base_nonce;
        for (byte, counter) in nonce[GCM_NONCE_LEN - 8..]
            .iter_mut()
            .zip(index.to_be_bytes())
        {
            *byte ^= counter;
        }
        Ok(nonce)
    }

    /// Encrypts chunk `index` in place and returns its tag.
    pub fn seal_chunk(
        &self,
        index: u64,
        chunk: &mut [u8],
    ) -> Result<[u8; GCM_TAG_LEN], CryptoError> {
        Ok(self.aead.seal_in_place(&self.nonce(index)?, &[], chunk))
    }

    /// Decrypts chunk `index` (ciphertext then tag) in place; the plaintext is the front of
    /// `chunk`, of its length minus the tag.
    pub fn open_chunk(&self, index: u64, chunk: &mut [u8]) -> Result<usize, DecryptError> {
        let body_len = chunk.len().checked_sub(GCM_TAG_LEN).ok_or(DecryptError)?;
        let (body, tag) = chunk.split_at_mut(body_len);
        let tag: &[u8; GCM_TAG_LEN] = (&*tag).try_into().map_err(|_| DecryptError)?;
        let nonce = self.nonce(index).map_err(|_| DecryptError)?;
        self.aead.open_in_place(&nonce, &[], body, tag)?;
        Ok(body_len)
    }
}
