//! The secret of a session or an API token: 32 random bytes that exist only in the client's
//! credential. The server keeps a verifier derived from it, and the user key sealed under
//! another key derived from it, so that the database alone opens nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callvault_shared::crypto::{DecryptError, Native, SecretBytes, random_secret};
use callvault_shared::stored_secrets::{derive_subkey, open_with_key, seal_with_key};
use subtle::ConstantTimeEq;
use uuid::Uuid;

const LEN: usize = 32;
const VERIFIER: &[u8] = b"callvault session verifier v1";
const CSRF: &[u8] = b"callvault session csrf v1";
const USER_KEY: &[u8] = b"callvault session user key v1";

#[derive(Clone)]
pub struct CredentialSecret(SecretBytes);

impl CredentialSecret {
    pub fn generate() -> anyhow::Result<Self> {
        let bytes = random_secret::<LEN>()?;
        Ok(Self(SecretBytes::new(bytes.to_vec())))
    }

    /// From the base64url text in a credential.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        (bytes.len() == LEN).then(|| Self(SecretBytes::new(bytes)))
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.expose())
    }

    /// What the session row stores to recognise the secret.
    pub fn verifier(&self) -> anyhow::Result<Vec<u8>> {
        Ok(derive_subkey::<Native>(self.0.expose(), VERIFIER)?.to_vec())
    }

    pub fn matches(&self, stored_verifier: &[u8]) -> bool {
        self.verifier()
            .is_ok_and(|verifier| bool::from(verifier.ct_eq(stored_verifier)))
    }

    /// The token a browser sends as `X-CSRF-Token`: derived, so nothing more is stored, and
    /// unreadable by another site, which sees neither the cookie nor our responses.
    pub fn csrf_token(&self) -> anyhow::Result<String> {
        Ok(hex::encode(
            &derive_subkey::<Native>(self.0.expose(), CSRF)?[..16],
        ))
    }

    pub fn csrf_matches(&self, presented: &str) -> bool {
        self.csrf_token()
            .is_ok_and(|token| bool::from(token.as_bytes().ct_eq(presented.as_bytes())))
    }

    pub fn seal_user_key(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        private_key: &SecretBytes,
    ) -> anyhow::Result<Vec<u8>> {
        Ok(seal_with_key::<Native>(
            private_key.expose(),
            self.0.expose(),
            USER_KEY,
            &context(session_id, user_id),
        )?)
    }

    pub fn open_user_key(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        sealed: &[u8],
    ) -> Result<SecretBytes, DecryptError> {
        open_with_key::<Native>(
            sealed,
            self.0.expose(),
            USER_KEY,
            &context(session_id, user_id),
        )
    }
}

fn context(session_id: Uuid, user_id: Uuid) -> Vec<u8> {
    [session_id.as_bytes().as_slice(), user_id.as_bytes()].concat()
}
