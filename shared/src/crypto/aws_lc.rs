//! The native implementation: aws-lc-rs, for the server and the command line. Several times
//! faster than RustCrypto for AES-GCM, ten times for RSA, and constant-time RSA decryption.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hkdf;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::{
    RSA_PSS_2048_8192_SHA256, RSA_PSS_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use zeroize::Zeroizing;

use super::{
    Aes256Gcm, BadSignature, Crypto, CryptoError, DecryptError, GCM_NONCE_LEN, GCM_TAG_LEN,
    KeyError, RsaBits, SecretBytes,
};

pub enum AwsLc {}

pub struct AwsLcGcm(LessSafeKey);

impl Aes256Gcm for AwsLcGcm {
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> [u8; GCM_TAG_LEN] {
        let mut tag = [0u8; GCM_TAG_LEN];
        // Only refused for messages beyond GCM's limit; chunks are 16 KiB.
        if let Ok(sealed) = self.0.seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            buffer,
        ) {
            tag.copy_from_slice(sealed.as_ref());
        }
        tag
    }

    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), DecryptError> {
        self.0
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                tag,
                buffer,
            )
            .map(drop)
            .map_err(|_| DecryptError)
    }
}

struct OkmLen(usize);

impl hkdf::KeyType for OkmLen {
    fn len(&self) -> usize {
        self.0
    }
}

impl Crypto for AwsLc {
    const NAME: &'static str = "aws-lc-rs";
    type Aead = AwsLcGcm;
    type PrivateKey = PrivateDecryptingKey;
    type PublicKey = PublicEncryptingKey;

    fn aes_256_gcm(key: &[u8; 32]) -> Self::Aead {
        // A 32-byte key for AES-256 is the only input `new` refuses, and the type rules it out.
        let key = UnboundKey::new(&AES_256_GCM, key).unwrap_or_else(|_| unreachable!());
        AwsLcGcm(LessSafeKey::new(key))
    }

    fn hkdf_sha512_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), CryptoError> {
        let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA512, prk);
        let info = [info];
        prk.expand(&info, OkmLen(out.len()))
            .and_then(|okm| okm.fill(out))
            .map_err(|_| CryptoError("HKDF-Expand failed"))
    }

    fn generate_rsa(bits: RsaBits) -> Result<Self::PrivateKey, CryptoError> {
        let size = match bits {
            RsaBits::Rsa2048 => KeySize::Rsa2048,
            RsaBits::Rsa3072 => KeySize::Rsa3072,
            RsaBits::Rsa4096 => KeySize::Rsa4096,
        };
        PrivateDecryptingKey::generate(size).map_err(|_| CryptoError("RSA key generation failed"))
    }

    fn private_key_from_pkcs8(der: &[u8]) -> Result<Self::PrivateKey, KeyError> {
        let key = PrivateDecryptingKey::from_pkcs8(der).map_err(|_| KeyError::Malformed)?;
        RsaBits::from_bits(key.key_size_bits())?;
        Ok(key)
    }

    fn private_key_to_pkcs8(key: &Self::PrivateKey) -> Result<SecretBytes, CryptoError> {
        let der = key
            .as_der()
            .map_err(|_| CryptoError("PKCS#8 encoding failed"))?;
        Ok(SecretBytes::new(der.as_ref().to_vec()))
    }

    fn public_key_of(key: &Self::PrivateKey) -> Result<Self::PublicKey, CryptoError> {
        Ok(key.public_key())
    }

    fn public_key_from_spki(der: &[u8]) -> Result<Self::PublicKey, KeyError> {
        let key = PublicEncryptingKey::from_der(der).map_err(|_| KeyError::Malformed)?;
        RsaBits::from_bits(key.key_size_bits())?;
        Ok(key)
    }

    fn public_key_to_spki(key: &Self::PublicKey) -> Result<Vec<u8>, CryptoError> {
        key.as_der()
            .map(|der| der.as_ref().to_vec())
            .map_err(|_| CryptoError("SubjectPublicKeyInfo encoding failed"))
    }

    fn public_key_bits(key: &Self::PublicKey) -> usize {
        key.key_size_bits()
    }

    fn oaep_encrypt(
        key: &Self::PublicKey,
        message: &[u8],
        label: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let key = OaepPublicEncryptingKey::new(key.clone())
            .map_err(|_| CryptoError("not an OAEP key"))?;
        let mut out = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(&OAEP_SHA256_MGF1SHA256, message, &mut out, Some(label))
            .map_err(|_| CryptoError("RSA-OAEP encryption failed"))?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn oaep_decrypt(
        key: &Self::PrivateKey,
        ciphertext: &[u8],
        label: &[u8],
    ) -> Result<SecretBytes, DecryptError> {
        let key = OaepPrivateDecryptingKey::new(key.clone()).map_err(|_| DecryptError)?;
        let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let len = key
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, Some(label))
            .map_err(|_| DecryptError)?
            .len();
        Ok(SecretBytes::new(out[..len].to_vec()))
    }

    fn pss_sha256_sign(key: &Self::PrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        // The decrypting key cannot sign: the same key, as a signing key pair, through PKCS#8.
        let der = Self::private_key_to_pkcs8(key)?;
        let pair = RsaKeyPair::from_pkcs8(der.expose())
            .map_err(|_| CryptoError("not an RSA signing key"))?;
        let mut signature = vec![0u8; pair.public_modulus_len()];
        pair.sign(
            &RSA_PSS_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|_| CryptoError("RSA-PSS signing failed"))?;
        Ok(signature)
    }

    fn pss_sha256_verify(
        key: &Self::PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        let spki = Self::public_key_to_spki(key).map_err(|_| BadSignature)?;
        UnparsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, spki)
            .verify(message, signature)
            .map_err(|_| BadSignature)
    }
}
