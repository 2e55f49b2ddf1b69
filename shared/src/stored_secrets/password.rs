//! A secret under a password: Argon2id derives an AES-256-GCM key; the parameters travel with
//! the ciphertext, so that they can be raised later without losing what was sealed before.
//!
//! ```text
//! version 0x01 | m KiB (u32 BE) | t (u32 BE) | p (u32 BE) | salt (16) | nonce (12) | ciphertext | tag (16)
//! ```
//! The associated data is the caller's (for example the user's id), and the version and
//! parameters are bound in front of it.

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::crypto::{
    AES_256_KEY_LEN, Aes256Gcm, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    SecretBytes, random_bytes,
};

const VERSION: u8 = 1;
const SALT_LEN: usize = 16;
const PREFIX_LEN: usize = 1 + 12 + SALT_LEN + GCM_NONCE_LEN;

/// Argon2id cost. The design's floor is m = 19 MiB, t = 2, p = 1 (OWASP's first choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl PasswordParams {
    pub const MINIMUM: PasswordParams = PasswordParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// Refused when opening: a stored blob must not be able to make the server allocate
    /// without bound.
    const MAXIMUM_MEMORY_KIB: u32 = 1024 * 1024;
    const MAXIMUM_ITERATIONS: u32 = 64;
    const MAXIMUM_PARALLELISM: u32 = 16;

    fn is_acceptable(self) -> bool {
        (Self::MINIMUM.memory_kib..=Self::MAXIMUM_MEMORY_KIB).contains(&self.memory_kib)
            && (Self::MINIMUM.iterations..=Self::MAXIMUM_ITERATIONS).contains(&self.iterations)
            && (Self::MINIMUM.parallelism..=Self::MAXIMUM_PARALLELISM).contains(&self.parallelism)
    }

    fn derive(
        self,
        password: &[u8],
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; AES_256_KEY_LEN]>, CryptoError> {
        let params = Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(AES_256_KEY_LEN),
        )
        .map_err(|_| CryptoError("Argon2 parameters"))?;
        let mut key = Zeroizing::new([0u8; AES_256_KEY_LEN]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(password, salt, key.as_mut())
            .map_err(|_| CryptoError("Argon2id failed"))?;
        Ok(key)
    }

    fn encode(self) -> [u8; 12] {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&self.memory_kib.to_be_bytes());
        bytes[4..8].copy_from_slice(&self.iterations.to_be_bytes());
        bytes[8..].copy_from_slice(&self.parallelism.to_be_bytes());
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let word = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        Some(Self {
            memory_kib: word(0)?,
            iterations: word(4)?,
            parallelism: word(8)?,
        })
    }
}

/// Seals `secret` under `password`. Slow on purpose (Argon2id): call it off any async executor.
pub fn seal_with_password<C: Crypto>(
    secret: &[u8],
    password: &[u8],
    associated_data: &[u8],
    params: PasswordParams,
) -> Result<Vec<u8>, CryptoError> {
    if !params.is_acceptable() {
        return Err(CryptoError(
            "Argon2id parameters below the minimum or above the maximum",
        ));
    }
    let salt = random_bytes::<SALT_LEN>()?;
    let nonce = random_bytes::<GCM_NONCE_LEN>()?;
    let key = params.derive(password, &salt)?;

    let mut sealed = Vec::with_capacity(PREFIX_LEN + secret.len() + GCM_TAG_LEN);
    sealed.push(VERSION);
    sealed.extend_from_slice(&params.encode());
    sealed.extend_from_slice(&salt);
    sealed.extend_from_slice(&nonce);
    let aad = [&sealed[..1 + 12], associated_data].concat();
    let mut body = Zeroizing::new(secret.to_vec());
    let tag = C::aes_256_gcm(&key).seal_in_place(&nonce, &aad, &mut body);
    sealed.extend_from_slice(&body);
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Opens what [`seal_with_password`] sealed. Wrong password, wrong associated data and any
/// change to the bytes are one and the same error.
pub fn open_with_password<C: Crypto>(
    sealed: &[u8],
    password: &[u8],
    associated_data: &[u8],
) -> Result<SecretBytes, DecryptError> {
    if sealed.len() < PREFIX_LEN + GCM_TAG_LEN || sealed[0] != VERSION {
        return Err(DecryptError);
    }
    let params = PasswordParams::decode(&sealed[1..13]).ok_or(DecryptError)?;
    if !params.is_acceptable() {
        return Err(DecryptError);
    }
    let salt = &sealed[13..13 + SALT_LEN];
    let nonce: [u8; GCM_NONCE_LEN] = sealed[13 + SALT_LEN..PREFIX_LEN]
        .try_into()
        .map_err(|_| DecryptError)?;
    let (body, tag) = sealed[PREFIX_LEN..].split_at(sealed.len() - PREFIX_LEN - GCM_TAG_LEN);
    let tag: [u8; GCM_TAG_LEN] = tag.try_into().map_err(|_| DecryptError)?;
    let key = params.derive(password, salt).map_err(|_| DecryptError)?;
    let aad = [&sealed[..1 + 12], associated_data].concat();
    let mut plaintext = Zeroizing::new(body.to_vec());
    C::aes_256_gcm(&key).open_in_place(&nonce, &aad, &mut plaintext, &tag)?;
    Ok(SecretBytes::new(plaintext.to_vec()))
}
