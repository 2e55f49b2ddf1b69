//! RSA encryption keys: generation, fingerprints, and the key files people exchange.

mod fingerprint;
mod import;

pub use fingerprint::Fingerprint;
pub use import::{KeyFile, import_key};

use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::pbes2;
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use crate::crypto::{
    BadSignature, Crypto, CryptoError, KeyError, RsaBits, SecretBytes, random_bytes,
};

/// PBKDF2-HMAC-SHA-256 iterations for exported key files: OWASP's figure for 2023 on, and what
/// `openssl pkey` opens without options.
pub const EXPORT_PBKDF2_ITERATIONS: u32 = 600_000;

/// The public half of an RSA key, with what identifies it.
pub struct RsaPublicKey<C: Crypto> {
    key: C::PublicKey,
    spki_der: Vec<u8>,
    fingerprint: Fingerprint,
    bits: RsaBits,
}

impl<C: Crypto> RsaPublicKey<C> {
    /// From a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        check_public_key(der)?;
        let key = C::public_key_from_spki(der)?;
        Self::from_key(key)
    }

    fn from_key(key: C::PublicKey) -> Result<Self, KeyError> {
        let bits = RsaBits::from_bits(C::public_key_bits(&key))?;
        // Re-encoded, so that the fingerprint is of the canonical DER whatever the input was.
        let spki_der = C::public_key_to_spki(&key)?;
        Ok(Self {
            fingerprint: Fingerprint::of_spki(&spki_der),
            key,
            spki_der,
            bits,
        })
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    pub fn bits(&self) -> RsaBits {
        self.bits
    }

    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// As a `PUBLIC KEY` PEM file, which anyone may hold.
    pub fn to_pem(&self) -> String {
        pkcs8::der::pem::encode_string("PUBLIC KEY", LineEnding::LF, &self.spki_der)
            .unwrap_or_default()
    }

    /// RSA-OAEP-SHA-256 encryption of a short secret (a data key) to this key.
    pub fn wrap(&self, secret: &[u8]) -> Result<Vec<u8>, CryptoError> {
        C::oaep_encrypt(&self.key, secret, &[])
    }

    /// Checks an RSASSA-PSS-SHA-256 signature over `message` by this key's private half.
    pub fn verify_pss(&self, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        C::pss_sha256_verify(&self.key, message, signature)
    }
}

/// A whole RSA key pair. The private half is zeroed when dropped by either implementation.
pub struct RsaPrivateKey<C: Crypto> {
    key: C::PrivateKey,
    public: RsaPublicKey<C>,
}

impl<C: Crypto> RsaPrivateKey<C> {
    pub fn generate(bits: RsaBits) -> Result<Self, KeyError> {
        Self::from_key(C::generate_rsa(bits)?)
    }

    /// From an unencrypted DER PKCS#8 `PrivateKeyInfo`.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        check_private_key(der)?;
        Self::from_key(C::private_key_from_pkcs8(der)?)
    }

    fn from_key(key: C::PrivateKey) -> Result<Self, KeyError> {
        let public = RsaPublicKey::from_key(C::public_key_of(&key)?)?;
        Ok(Self { key, public })
    }

    pub fn public_key(&self) -> &RsaPublicKey<C> {
        &self.public
    }

    pub fn fingerprint(&self) -> Fingerprint {
        self.public.fingerprint
    }

    /// Unencrypted DER PKCS#8: only ever to be sealed again at once.
    pub fn to_pkcs8_der(&self) -> Result<SecretBytes, CryptoError> {
        C::private_key_to_pkcs8(&self.key)
    }

    /// An `ENCRYPTED PRIVATE KEY` PEM file (PKCS#8, PBES2 with PBKDF2-HMAC-SHA-256 and
    /// AES-256-CBC) under `passphrase`: the export format, which `openssl pkey -passin` opens.
    pub fn to_encrypted_pem(&self, passphrase: &[u8]) -> Result<Zeroizing<String>, KeyError> {
        let der = self.to_pkcs8_der()?;
        let info = PrivateKeyInfoRef::try_from(der.expose()).map_err(|_| KeyError::Malformed)?;
        let salt = random_bytes::<16>()?;
        let iv = random_bytes::<16>()?;
        let params = pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            EXPORT_PBKDF2_ITERATIONS,
            &salt,
            iv,
        )
        .map_err(|_| CryptoError("PBES2 parameters"))?;
        let encrypted = info
            .encrypt_with_params(params, passphrase)
            .map_err(|_| CryptoError("PKCS#8 encryption failed"))?;
        let pem = encrypted
            .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map_err(|_| CryptoError("PEM encoding failed"))?;
        Ok(Zeroizing::new(pem.to_string()))
    }

    /// RSA-OAEP-SHA-256 decryption of a wrapped secret.
    pub fn unwrap(&self, wrapped: &[u8]) -> Result<SecretBytes, crate::crypto::DecryptError> {
        C::oaep_decrypt(&self.key, wrapped, &[])
    }

    /// An RSASSA-PSS-SHA-256 signature over `message` (32-byte salt).
    pub fn sign_pss(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        C::pss_sha256_sign(&self.key, message)
    }
}

/// Opens an encrypted DER PKCS#8 (`EncryptedPrivateKeyInfo`) with its passphrase.
fn decrypt_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<SecretBytes, KeyError> {
    let encrypted = EncryptedPrivateKeyInfoRef::try_from(der).map_err(|_| KeyError::Malformed)?;
    let document = encrypted
        .decrypt(passphrase)
        .map_err(|_| KeyError::WrongPassphrase)?;
    Ok(SecretBytes::new(document.as_bytes().to_vec()))
}

/// An RSA key of a size callvault accepts, told apart before either implementation sees it, so
/// that a 1024-bit or an elliptic-curve key gets an error that says so.
fn check_private_key(pkcs8_der: &[u8]) -> Result<RsaBits, KeyError> {
    let info = PrivateKeyInfoRef::try_from(pkcs8_der).map_err(|_| KeyError::Malformed)?;
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(KeyError::NotRsa);
    }
    let key = pkcs1::RsaPrivateKeyRef::try_from(info.private_key.as_bytes())
        .map_err(|_| KeyError::Malformed)?;
    modulus_bits(key.modulus.as_bytes())
}

fn check_public_key(spki_der: &[u8]) -> Result<RsaBits, KeyError> {
    let info =
        pkcs8::SubjectPublicKeyInfoRef::try_from(spki_der).map_err(|_| KeyError::Malformed)?;
    if info.algorithm.oid != pkcs1::ALGORITHM_OID {
        return Err(KeyError::NotRsa);
    }
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or(KeyError::Malformed)?;
    let key = pkcs1::RsaPublicKeyRef::try_from(bits).map_err(|_| KeyError::Malformed)?;
    modulus_bits(key.modulus.as_bytes())
}

fn modulus_bits(modulus: &[u8]) -> Result<RsaBits, KeyError> {
    let significant = modulus.iter().skip_while(|byte| **byte == 0).count();
    RsaBits::from_bits(significant * 8)
}
