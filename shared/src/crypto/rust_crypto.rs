//! The portable implementation: RustCrypto's `aes-gcm`, `sha2`, `hmac` and `rsa`. The browser
//! uses this one only.

use aes_gcm::aead::{AeadInOut, KeyInit};
use hmac::{Hmac, Mac};
use rsa::Oaep;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use sha2::Sha512;
use zeroize::Zeroize;

use super::{
    Aes256Gcm, BadSignature, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    KeyError, RsaBits, SecretBytes,
};

pub enum RustCrypto {}

pub struct RustCryptoGcm(aes_gcm::Aes256Gcm);

impl Aes256Gcm for RustCryptoGcm {
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> [u8; GCM_TAG_LEN] {
        let tag = self
            .0
            .encrypt_inout_detached(&(*nonce).into(), aad, buffer.into())
            // Only refused for messages beyond GCM's 64 GiB limit; chunks are 16 KiB.
            .unwrap_or_default();
        tag.into()
    }

    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), DecryptError> {
        self.0
            .decrypt_inout_detached(&(*nonce).into(), aad, buffer.into(), &(*tag).into())
            .map_err(|_| DecryptError)
    }
}

impl Crypto for RustCrypto {
    const NAME: &'static str = "RustCrypto";
    type Aead = RustCryptoGcm;
    type PrivateKey = rsa::PrivateKey;
    type PublicKey = rsa::PublicKey;

    fn aes_256_gcm(key: &[u8; 32]) -> Self::Aead {
        RustCryptoGcm(aes_gcm::Aes256Gcm::new(&(*key).into()))
    }

    // By hand rather than with the `hkdf` crate, which refuses a PRK shorter than the hash
    // (RFC 5869's advice), while c2sp.org/chunked-encryption expands a 32-byte input key with
    // SHA-512. HKDF-Expand is RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i).
    fn hkdf_sha512_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        const HASH_LEN: usize = 64;
        if out.len() > 255 * HASH_LEN {
            return Err(CryptoError("HKDF output too long"));
        }
        let mut previous = [0u8; HASH_LEN];
        for (index, block) in out.chunks_mut(HASH_LEN).enumerate() {
            let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(prk)
                .map_err(|_| CryptoError("HMAC key rejected"))?;
            if index > 0 {
                mac.update(&previous);
            }
            mac.update(info);
            mac.update(&[u8::try_from(index + 1).map_err(|_| CryptoError("HKDF counter"))?]);
            previous.copy_from_slice(&mac.finalize().into_bytes());
            block.copy_from_slice(&previous[..block.len()]);
        }
        previous.zeroize();
        Ok(())
    }

    fn generate_rsa(bits: RsaBits) -> Result<Self::PrivateKey, CryptoError> {
        rsa::PrivateKey::new(&mut getrandom::SysRng, bits.bits())
            .map_err(|_| CryptoError("RSA key generation failed"))
    }

    fn private_key_from_pkcs8(der: &[u8]) -> Result<Self::PrivateKey, KeyError> {
        let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(|_| KeyError::Malformed)?;
        RsaBits::from_bits(key.size() * 8)?;
        Ok(key)
    }

    fn private_key_to_pkcs8(key: &Self::PrivateKey) -> Result<SecretBytes, CryptoError> {
        let document = key
            .to_pkcs8_der()
            .map_err(|_| CryptoError("PKCS#8 encoding failed"))?;
        Ok(SecretBytes::new(document.as_bytes().to_vec()))
    }

    fn public_key_of(key: &Self::PrivateKey) -> Result<Self::PublicKey, CryptoError> {
        Ok(key.to_public_key())
    }

    fn public_key_from_spki(der: &[u8]) -> Result<Self::PublicKey, KeyError> {
        let key = rsa::PublicKey::from_public_key_der(der).map_err(|_| KeyError::Malformed)?;
        RsaBits::from_bits(key.size() * 8)?;
        Ok(key)
    }

    fn public_key_to_spki(key: &Self::PublicKey) -> Result<Vec<u8>, CryptoError> {
        key.to_public_key_der()
            .map(|document| document.as_bytes().to_vec())
            .map_err(|_| CryptoError("SubjectPublicKeyInfo encoding failed"))
    }

    fn public_key_bits(key: &Self::PublicKey) -> usize {
        key.size() * 8
    }

    fn oaep_encrypt(
        key: &Self::PublicKey,
        message: &[u8],
        label: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        key.encrypt(
            &mut getrandom::SysRng,
            Oaep::<Sha256>::new_with_label(label),
            message,
        )
        .map_err(|_| CryptoError("RSA-OAEP encryption failed"))
    }

    // Blinded, so that timing does not follow the private exponent.
    fn oaep_decrypt(
        key: &Self::PrivateKey,
        ciphertext: &[u8],
        label: &[u8],
    ) -> Result<SecretBytes, DecryptError> {
        let message = key
            .decrypt_blinded(
                &mut getrandom::SysRng,
                Oaep::<Sha256>::new_with_label(label),
                ciphertext,
            )
            .map(SecretBytes::new)
            .map_err(|_| DecryptError)?;
        if leading_octet_is_zero(key, ciphertext) {
            Ok(message)
        } else {
            Err(DecryptError)
        }
    }

    fn pss_sha256_sign(key: &Self::PrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding};
        // The salt is as long as the digest: what aws-lc-rs signs and expects.
        rsa::pss::SigningKey::<Sha256>::new(key.clone())
            .try_sign_with_rng(&mut getrandom::SysRng, message)
            .map(|signature| signature.to_vec())
            .map_err(|_| CryptoError("RSA-PSS signing failed"))
    }

    fn pss_sha256_verify(
        key: &Self::PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        use rsa::signature::Verifier;
        let signature = rsa::pss::Signature::try_from(signature).map_err(|_| BadSignature)?;
        rsa::pss::VerifyingKey::<Sha256>::new(key.clone())
            .verify(message, &signature)
            .map_err(|_| BadSignature)
    }
}

/// RFC 8017 §7.1.2 step 3g: the encoded message must start with a zero octet. `rsa` 0.10
/// ignores that octet on purpose (Wycheproof's "First byte is 1" shows it), so it is checked
/// here, at the price of a second private-key operation, only after a successful decryption.
fn leading_octet_is_zero(key: &rsa::PrivateKey, ciphertext: &[u8]) -> bool {
    let Ok(c) = rsa::BoxedUint::from_be_slice(ciphertext, key.n_bits_precision()) else {
        return false;
    };
    rsa::hazmat::rsa_decrypt(Some(&mut getrandom::SysRng), key, &c)
        .is_ok_and(|encoded| encoded.bit_width() <= 8 * (key.size() as u32 - 1))
}
