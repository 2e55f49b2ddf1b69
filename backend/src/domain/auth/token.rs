//! Bearer access tokens: short-lived JWTs, HS256 only, signed with a key all instances share.
//! A token carries its session's id and secret, the secret encrypted under a key derived from
//! the signing key: a token read from a log cannot be turned into the session's cookie, and
//! past its expiry it is worth nothing. It is also worth nothing once the session row is gone,
//! and a forged one would still need a secret that matches the session's verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callvault_shared::crypto::{Native, SecretBytes};
use callvault_shared::stored_secrets::{open_with_key, seal_with_key};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::credential_secret::CredentialSecret;

const ISSUER: &str = "callvault";
const WRAP: &[u8] = b"callvault access token secret v1";
const AUDIENCE: &str = "callvault-api";

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: Uuid,
    sid: Uuid,
    /// The session secret, encrypted (AES-256-GCM, bound to the session id), base64url.
    key: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// What a valid token says.
pub struct VerifiedToken {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub secret: CredentialSecret,
}

pub struct TokenSigner {
    /// Derives the key that hides session secrets inside tokens.
    wrapping: SecretBytes,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: chrono::Duration,
}

impl TokenSigner {
    pub fn new(key: &[u8], lifetime: chrono::Duration) -> anyhow::Result<Self> {
        // One algorithm: a token naming any other (or `none`) is refused before its signature
        // is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            wrapping: SecretBytes::new(key.to_vec()),
            encoding: EncodingKey::from_secret(key)?,
            decoding: DecodingKey::from_secret(key)?,
            validation,
            lifetime,
        })
    }

    pub fn issue(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        secret: &CredentialSecret,
        session_expires_at: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let now = Utc::now();
        // Never outlive the session it speaks for.
        let expires_at = (now + self.lifetime).min(session_expires_at);
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id,
            sid: session_id,
            key: URL_SAFE_NO_PAD.encode(seal_with_key::<Native>(
                secret.encode().as_bytes(),
                self.wrapping.expose(),
                WRAP,
                session_id.as_bytes(),
            )?),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, expires_at))
    }

    /// The token's claims if its signature, algorithm, issuer, audience and times are right.
    pub fn verify(&self, token: &str) -> Option<VerifiedToken> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let sealed = URL_SAFE_NO_PAD.decode(&data.claims.key).ok()?;
        let secret = open_with_key::<Native>(
            &sealed,
            self.wrapping.expose(),
            WRAP,
            data.claims.sid.as_bytes(),
        )
        .ok()?;
        Some(VerifiedToken {
            user_id: data.claims.sub,
            session_id: data.claims.sid,
            secret: CredentialSecret::decode(std::str::from_utf8(secret.expose()).ok()?)?,
        })
    }
}
