//! The primitives callvault is built from, behind one interface with two implementations:
//! [`RustCrypto`] (portable; the only one in the browser) and, with the `aws-lc` feature,
//! [`AwsLc`] (native; faster, and constant-time RSA, which the server needs wherever a remote
//! party can make it decrypt chosen ciphertexts). Files sealed by one open with the other.

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!("callvault-shared needs a crypto implementation: the feature aws-lc or rust-crypto");

#[cfg(feature = "rust-crypto")]
mod rust_crypto;
mod secret;

#[cfg(feature = "aws-lc")]
mod aws_lc;

#[cfg(feature = "aws-lc")]
pub use aws_lc::AwsLc;
#[cfg(feature = "rust-crypto")]
pub use rust_crypto::RustCrypto;
pub use secret::{SecretBytes, random_bytes, random_secret};

/// The implementation a native program should use: aws-lc-rs where it is built in.
#[cfg(feature = "aws-lc")]
pub type Native = AwsLc;
#[cfg(not(feature = "aws-lc"))]
pub type Native = RustCrypto;

pub const AES_256_KEY_LEN: usize = 32;
pub const GCM_NONCE_LEN: usize = 12;
pub const GCM_TAG_LEN: usize = 16;

/// RSA key sizes callvault creates and accepts. Below 2048 is refused everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaBits {
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl RsaBits {
    /// 3072 bits: 128-bit security, for recordings kept past 2030.
    pub const DEFAULT: RsaBits = RsaBits::Rsa3072;

    pub fn bits(self) -> usize {
        match self {
            RsaBits::Rsa2048 => 2048,
            RsaBits::Rsa3072 => 3072,
            RsaBits::Rsa4096 => 4096,
        }
    }

    pub fn from_bits(bits: usize) -> Result<Self, KeyError> {
        match bits {
            2048 => Ok(RsaBits::Rsa2048),
            3072 => Ok(RsaBits::Rsa3072),
            4096 => Ok(RsaBits::Rsa4096),
            other => Err(KeyError::UnsupportedSize(other)),
        }
    }
}

/// AES-256-GCM with a key already set up, for many messages under one key.
pub trait Aes256Gcm: Send + Sync {
    /// Encrypts `buffer` in place and returns the tag.
    fn seal_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> [u8; GCM_TAG_LEN];
    /// Decrypts `buffer` in place if `tag` authenticates it; on failure `buffer` is garbage.
    fn open_in_place(
        &self,
        nonce: &[u8; GCM_NONCE_LEN],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; GCM_TAG_LEN],
    ) -> Result<(), DecryptError>;
}

/// One implementation of every primitive. Stateless: the methods are associated functions,
/// and code picks an implementation as a type parameter.
pub trait Crypto: Send + Sync + 'static {
    const NAME: &'static str;
    type Aead: Aes256Gcm;
    type PrivateKey: Send + Sync;
    type PublicKey: Send + Sync;

    fn aes_256_gcm(key: &[u8; AES_256_KEY_LEN]) -> Self::Aead;
    /// HKDF-Expand with SHA-512 (no Extract step: `prk` is already uniformly random).
    fn hkdf_sha512_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<(), CryptoError>;

    fn generate_rsa(bits: RsaBits) -> Result<Self::PrivateKey, CryptoError>;
    /// An unencrypted PKCS#8 `PrivateKeyInfo` holding an RSA key.
    fn private_key_from_pkcs8(der: &[u8]) -> Result<Self::PrivateKey, KeyError>;
    fn private_key_to_pkcs8(key: &Self::PrivateKey) -> Result<SecretBytes, CryptoError>;
    fn public_key_of(key: &Self::PrivateKey) -> Result<Self::PublicKey, CryptoError>;
    /// A SubjectPublicKeyInfo holding an RSA public key.
    fn public_key_from_spki(der: &[u8]) -> Result<Self::PublicKey, KeyError>;
    fn public_key_to_spki(key: &Self::PublicKey) -> Result<Vec<u8>, CryptoError>;
    fn public_key_bits(key: &Self::PublicKey) -> usize;

    /// RSA-OAEP with SHA-256 and MGF1-SHA-256. callvault's own formats use the empty label.
    fn oaep_encrypt(
        key: &Self::PublicKey,
        message: &[u8],
        label: &[u8],
    ) -> Result<Vec<u8>, CryptoError>;
    fn oaep_decrypt(
        key: &Self::PrivateKey,
        ciphertext: &[u8],
        label: &[u8],
    ) -> Result<SecretBytes, DecryptError>;

    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8017 §8.1).
    fn pss_sha256_sign(key: &Self::PrivateKey, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
    /// Checks an RSASSA-PSS-SHA-256 signature made with a 32-byte salt.
    fn pss_sha256_verify(
        key: &Self::PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature>;
}

/// A signature that does not verify: made by another key, over other bytes, or malformed.
/// One error for all, like [`DecryptError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify with this key")]
pub struct BadSignature;

/// Something that cannot be decrypted: wrong key, wrong passphrase, or corrupt or truncated
/// data. Deliberately one error that says nothing more: which check failed is exactly what an
/// attacker probing with forged ciphertexts wants to learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed: wrong key, or the data is corrupt or truncated")]
pub struct DecryptError;

/// A primitive failed for a reason other than bad input to decrypt (no randomness, a key the
/// implementation cannot handle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cryptographic operation failed: {0}")]
pub struct CryptoError(pub &'static str);

/// A key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("RSA keys of {0} bits are not supported (2048, 3072 or 4096)")]
    UnsupportedSize(usize),
    #[error("a malformed key")]
    Malformed,
    #[error("not an RSA key: callvault's encryption keys are RSA")]
    NotRsa,
    #[error("the key is encrypted and needs its passphrase")]
    NeedsPassphrase,
    #[error("wrong passphrase, or the encrypted key is corrupt")]
    WrongPassphrase,
    #[error("unrecognised key file: expected PKCS#8 (PEM or DER), PKCS#1 PEM or a public key PEM")]
    UnknownEncoding,
    #[error("{0}")]
    Crypto(#[from] CryptoError),
}
