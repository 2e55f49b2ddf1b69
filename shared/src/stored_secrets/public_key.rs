//! A secret sealed to an RSA public key (hybrid): a fresh AES-256 key wrapped with RSA-OAEP,
//! the secret under AES-256-GCM. This is what a grant is: an encryption key's private half,
//! sealed to a user's own key, with associated data naming key, user and tenant.
//!
//! ```text
//! version 0x01 | recipient fingerprint (32) | wrapped key length (u16 BE) | wrapped key
//!     | nonce (12) | ciphertext | tag (16)
//! ```
//! The GCM associated data is everything before the nonce, then the caller's.

use zeroize::Zeroizing;

use crate::crypto::{
    AES_256_KEY_LEN, Aes256Gcm, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    SecretBytes, random_bytes, random_secret,
};
use crate::keys::{RsaPrivateKey, RsaPublicKey};

const VERSION: u8 = 1;

pub fn seal_to_public_key<C: Crypto>(
    secret: &[u8],
    recipient: &RsaPublicKey<C>,
    associated_data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let key = random_secret::<AES_256_KEY_LEN>()?;
    let wrapped = recipient.wrap(key.as_ref())?;
    let nonce = random_bytes::<GCM_NONCE_LEN>()?;

    let mut sealed =
        Vec::with_capacity(35 + wrapped.len() + GCM_NONCE_LEN + secret.len() + GCM_TAG_LEN);
    sealed.push(VERSION);
    sealed.extend_from_slice(&recipient.fingerprint().0);
    sealed.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
    sealed.extend_from_slice(&wrapped);
    let aad = [sealed.as_slice(), associated_data].concat();
    sealed.extend_from_slice(&nonce);
    let mut body = Zeroizing::new(secret.to_vec());
    let tag = C::aes_256_gcm(&key).seal_in_place(&nonce, &aad, &mut body);
    sealed.extend_from_slice(&body);
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

pub fn open_with_private_key<C: Crypto>(
    sealed: &[u8],
    key: &RsaPrivateKey<C>,
    associated_data: &[u8],
) -> Result<SecretBytes, DecryptError> {
    let fixed = sealed.get(..35).ok_or(DecryptError)?;
    if fixed[0] != VERSION || fixed[1..33] != key.fingerprint().0 {
        return Err(DecryptError);
    }
    let wrapped_len = usize::from(u16::from_be_bytes([fixed[33], fixed[34]]));
    let nonce_at = 35 + wrapped_len;
    let body_at = nonce_at + GCM_NONCE_LEN;
    if sealed.len() < body_at + GCM_TAG_LEN {
        return Err(DecryptError);
    }
    let aes_key = key.unwrap(&sealed[35..nonce_at])?;
    let aes_key: &[u8; AES_256_KEY_LEN] = aes_key.expose().try_into().map_err(|_| DecryptError)?;
    let nonce: [u8; GCM_NONCE_LEN] = sealed[nonce_at..body_at]
        .try_into()
        .map_err(|_| DecryptError)?;
    let (body, tag) = sealed[body_at..].split_at(sealed.len() - body_at - GCM_TAG_LEN);
    let tag: [u8; GCM_TAG_LEN] = tag.try_into().map_err(|_| DecryptError)?;
    let aad = [&sealed[..nonce_at], associated_data].concat();
    let mut plaintext = Zeroizing::new(body.to_vec());
    C::aes_256_gcm(aes_key).open_in_place(&nonce, &aad, &mut plaintext, &tag)?;
    Ok(SecretBytes::new(plaintext.to_vec()))
}
