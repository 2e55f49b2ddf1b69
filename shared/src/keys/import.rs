//! Reading the key files people bring: PKCS#8 (PEM or DER, plain or encrypted with PBES2),
//! PKCS#1 (PEM or DER), and SubjectPublicKeyInfo PEM or DER for a public key alone.

use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::{Decode, Encode};
use pkcs8::{PrivateKeyInfoRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::{RsaPrivateKey, RsaPublicKey, decrypt_pkcs8};
use crate::crypto::{Crypto, KeyError, SecretBytes};

pub enum KeyFile<C: Crypto> {
    Private(RsaPrivateKey<C>),
    /// A tenant-held key: the provider gets only this half.
    Public(RsaPublicKey<C>),
}

impl<C: Crypto> KeyFile<C> {
    pub fn public_key(&self) -> &RsaPublicKey<C> {
        match self {
            KeyFile::Private(key) => key.public_key(),
            KeyFile::Public(key) => key,
        }
    }
}

/// Reads any supported key file. `passphrase` is needed for an encrypted one only.
pub fn import_key<C: Crypto>(
    file: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<KeyFile<C>, KeyError> {
    let trimmed = file.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN ") {
        let (label, der) =
            pkcs8::der::pem::decode_vec(trimmed).map_err(|_| KeyError::UnknownEncoding)?;
        let der = Zeroizing::new(der);
        return match label {
            "PRIVATE KEY" => private(&der),
            "ENCRYPTED PRIVATE KEY" => encrypted(&der, passphrase),
            "RSA PRIVATE KEY" => pkcs1_private(&der),
            "PUBLIC KEY" => public(&der),
            "RSA PUBLIC KEY" => pkcs1_public(&der),
            _ => Err(KeyError::UnknownEncoding),
        };
    }
    // DER: the structures differ from their first elements on, so at most one parse succeeds.
    if PrivateKeyInfoRef::from_der(file).is_ok() {
        private(file)
    } else if pkcs8::EncryptedPrivateKeyInfoRef::try_from(file).is_ok() {
        encrypted(file, passphrase)
    } else if SubjectPublicKeyInfoRef::from_der(file).is_ok() {
        public(file)
    } else if pkcs1::RsaPrivateKeyRef::from_der(file).is_ok() {
        pkcs1_private(file)
    } else {
        Err(KeyError::UnknownEncoding)
    }
}

fn private<C: Crypto>(der: &[u8]) -> Result<KeyFile<C>, KeyError> {
    RsaPrivateKey::from_pkcs8_der(der).map(KeyFile::Private)
}

fn encrypted<C: Crypto>(der: &[u8], passphrase: Option<&[u8]>) -> Result<KeyFile<C>, KeyError> {
    let passphrase = passphrase.ok_or(KeyError::NeedsPassphrase)?;
    let der: SecretBytes = decrypt_pkcs8(der, passphrase)?;
    private(der.expose())
}

fn public<C: Crypto>(der: &[u8]) -> Result<KeyFile<C>, KeyError> {
    RsaPublicKey::from_spki_der(der).map(KeyFile::Public)
}

/// PKCS#1 `RSAPrivateKey` is the inside of a PKCS#8 `PrivateKeyInfo`: wrap it, no parsing of
/// the numbers needed here.
fn pkcs1_private<C: Crypto>(der: &[u8]) -> Result<KeyFile<C>, KeyError> {
    let octets = OctetStringRef::new(der).map_err(|_| KeyError::Malformed)?;
    let info = PrivateKeyInfoRef::new(pkcs1::ALGORITHM_ID, octets);
    let pkcs8 = Zeroizing::new(info.to_der().map_err(|_| KeyError::Malformed)?);
    private(&pkcs8)
}

fn pkcs1_public<C: Crypto>(der: &[u8]) -> Result<KeyFile<C>, KeyError> {
    let info = SubjectPublicKeyInfoRef {
        algorithm: pkcs1::ALGORITHM_ID,
        subject_public_key: pkcs8::der::asn1::BitStringRef::new(0, der)
            .map_err(|_| KeyError::Malformed)?,
    };
    let spki = info.to_der().map_err(|_| KeyError::Malformed)?;
    public(&spki)
}
