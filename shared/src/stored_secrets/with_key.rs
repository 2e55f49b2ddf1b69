//! A secret under a 256-bit key that is itself random (a session secret, an API token's
//! secret), so that no slow derivation is needed: HKDF-SHA-512 turns the secret into an
//! AES-256-GCM key for one purpose, named by `purpose`.
//!
//! ```text
//! version 0x01 | nonce (12) | ciphertext | tag (16)
//! ```
//! The associated data is the version, then the caller's.

use zeroize::Zeroizing;

use crate::crypto::{
    AES_256_KEY_LEN, Aes256Gcm, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    SecretBytes, random_bytes,
};

const VERSION: u8 = 1;

/// Seals `secret` under a key derived from `key_material` (at least 32 random bytes).
pub fn seal_with_key<C: Crypto>(
    secret: &[u8],
    key_material: &[u8],
    purpose: &[u8],
    associated_data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let key = derive::<C>(key_material, purpose)?;
    let nonce = random_bytes::<GCM_NONCE_LEN>()?;
    let aad = [&[VERSION][..], associated_data].concat();
    let mut body = Zeroizing::new(secret.to_vec());
    let tag = C::aes_256_gcm(&key).seal_in_place(&nonce, &aad, &mut body);
    let mut sealed = Vec::with_capacity(1 + GCM_NONCE_LEN + secret.len() + GCM_TAG_LEN);
    sealed.push(VERSION);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&body);
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Opens what [`seal_with_key`] sealed; any mismatch is the one [`DecryptError`].
pub fn open_with_key<C: Crypto>(
    sealed: &[u8],
    key_material: &[u8],
    purpose: &[u8],
    associated_data: &[u8],
) -> Result<SecretBytes, DecryptError> {
    if sealed.len() < 1 + GCM_NONCE_LEN + GCM_TAG_LEN || sealed[0] != VERSION {
        return Err(DecryptError);
    }
    let key = derive::<C>(key_material, purpose).map_err(|_| DecryptError)?;
    let nonce: [u8; GCM_NONCE_LEN] = sealed[1..1 + GCM_NONCE_LEN]
        .try_into()
        .map_err(|_| DecryptError)?;
    let (body, tag) =
        sealed[1 + GCM_NONCE_LEN..].split_at(sealed.len() - 1 - GCM_NONCE_LEN - GCM_TAG_LEN);
    let tag: [u8; GCM_TAG_LEN] = tag.try_into().map_err(|_| DecryptError)?;
    let aad = [&[VERSION][..], associated_data].concat();
    let mut plaintext = Zeroizing::new(body.to_vec());
    C::aes_256_gcm(&key).open_in_place(&nonce, &aad, &mut plaintext, &tag)?;
    Ok(SecretBytes::new(plaintext.to_vec()))
}

/// HKDF-Expand of the key material for one purpose. Also how callers derive other values
/// from the same secret (a verifier, a CSRF token) that must not reveal the sealing key.
pub fn derive_subkey<C: Crypto>(
    key_material: &[u8],
    purpose: &[u8],
) -> Result<Zeroizing<[u8; AES_256_KEY_LEN]>, CryptoError> {
    derive::<C>(key_material, purpose)
}

fn derive<C: Crypto>(
    key_material: &[u8],
    purpose: &[u8],
) -> Result<Zeroizing<[u8; AES_256_KEY_LEN]>, CryptoError> {
    if key_material.len() < AES_256_KEY_LEN {
        return Err(CryptoError("key material shorter than 32 bytes"));
    }
    let mut key = Zeroizing::new([0u8; AES_256_KEY_LEN]);
    C::hkdf_sha512_expand(key_material, purpose, key.as_mut())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::RustCrypto;

    const MATERIAL: [u8; 32] = [7; 32];

    #[test]
    fn opens_only_with_the_same_material_purpose_and_associated_data() {
        let sealed =
            seal_with_key::<RustCrypto>(b"user key", &MATERIAL, b"p", b"ad").expect("sealed");
        let opened = open_with_key::<RustCrypto>(&sealed, &MATERIAL, b"p", b"ad").expect("opens");
        assert_eq!(opened.expose(), b"user key");
        assert!(open_with_key::<RustCrypto>(&sealed, &[8; 32], b"p", b"ad").is_err());
        assert!(open_with_key::<RustCrypto>(&sealed, &MATERIAL, b"q", b"ad").is_err());
        assert!(open_with_key::<RustCrypto>(&sealed, &MATERIAL, b"p", b"ae").is_err());
        let mut flipped = sealed.clone();
        flipped[14] ^= 1;
        assert!(open_with_key::<RustCrypto>(&flipped, &MATERIAL, b"p", b"ad").is_err());
        assert!(open_with_key::<RustCrypto>(&sealed[..20], &MATERIAL, b"p", b"ad").is_err());
    }

    #[test]
    fn short_key_material_is_refused() {
        assert!(seal_with_key::<RustCrypto>(b"x", &[1; 16], b"p", b"").is_err());
    }
}
