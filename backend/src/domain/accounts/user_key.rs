//! Each user's own RSA key pair. Grants are sealed to its public half; its private half is
//! stored only under the user's password (Argon2id), and for the length of a login under the
//! session's secret. Everything here is slow on purpose or RSA work: it runs on the blocking
//! pool.

use callvault_shared::crypto::{DecryptError, Native, RsaBits, SecretBytes};
use callvault_shared::keys::RsaPrivateKey;
use callvault_shared::stored_secrets::{PasswordParams, open_with_password, seal_with_password};
use uuid::Uuid;
use zeroize::Zeroizing;

/// User keys match the default encryption key: 128-bit security.
const USER_KEY_BITS: RsaBits = RsaBits::Rsa3072;

/// A user key as stored: the public half in the clear, the private half under the password.
pub struct StoredUserKey {
    pub public_key: Vec<u8>,
    pub sealed_private_key: Vec<u8>,
}

/// The associated data of a user key sealed under a password: it cannot be moved to another
/// user's row.
fn password_context(user_id: Uuid) -> Vec<u8> {
    [b"callvault user key v1 ".as_slice(), user_id.as_bytes()].concat()
}

/// A fresh key pair for `user_id`, sealed under `password`; also the private half (PKCS#8 DER)
/// for a session to hold.
pub async fn generate(
    user_id: Uuid,
    password: Zeroizing<String>,
) -> anyhow::Result<(StoredUserKey, SecretBytes)> {
    tokio::task::spawn_blocking(move || {
        let key = RsaPrivateKey::<Native>::generate(USER_KEY_BITS)?;
        let pkcs8 = key.to_pkcs8_der()?;
        let sealed_private_key = seal_with_password::<Native>(
            pkcs8.expose(),
            password.as_bytes(),
            &password_context(user_id),
            PasswordParams::MINIMUM,
        )?;
        Ok((
            StoredUserKey {
                public_key: key.public_key().spki_der().to_vec(),
                sealed_private_key,
            },
            pkcs8,
        ))
    })
    .await?
}

/// The private half, opened with the password. A wrong password is the one [`DecryptError`].
pub async fn open(
    user_id: Uuid,
    sealed_private_key: Vec<u8>,
    password: Zeroizing<String>,
) -> anyhow::Result<Result<SecretBytes, DecryptError>> {
    Ok(tokio::task::spawn_blocking(move || {
        open_with_password::<Native>(
            &sealed_private_key,
            password.as_bytes(),
            &password_context(user_id),
        )
    })
    .await?)
}

/// The same private half under a new password (a password change).
pub async fn reseal(
    user_id: Uuid,
    private_key: SecretBytes,
    new_password: Zeroizing<String>,
) -> anyhow::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        Ok(seal_with_password::<Native>(
            private_key.expose(),
            new_password.as_bytes(),
            &password_context(user_id),
            PasswordParams::MINIMUM,
        )?)
    })
    .await?
}
