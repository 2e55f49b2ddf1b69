//! Statements a tenant-held tenant signs with its own RSA key, and the chain they form.
//!
//! A statement is six lines of UTF-8, each ending in LF, in this order and nothing else:
//!
//! ```text
//! callvault key change v1
//! tenant: 0193a4f2-7c1e-7d3a-9a51-2f0c8e6b4d10
//! action: add_key
//! key: <the target key's fingerprint, 64 lowercase hex digits>
//! nonce: <the server's single-use nonce>
//! time: 2026-12-01T10:25:33Z
//! ```
//!
//! The signature is RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt over exactly
//! those bytes. A fixed line format, rather than JSON, so that there is one byte string per
//! statement and nothing to canonicalise.

mod verify;

pub use verify::{ChainError, VerifiedChain, verify_chain};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::api::KeyChainAction;
use crate::crypto::{BadSignature, Crypto, CryptoError};
use crate::keys::{Fingerprint, RsaPrivateKey, RsaPublicKey};

/// The first line: the format and its version.
pub const STATEMENT_MAGIC: &str = "callvault key change v1";

/// A statement is refused once it is older than this, or its nonce has expired.
pub const STATEMENT_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// How far ahead of the server's clock a statement's time may be.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(2);

/// What the tenant's key signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub tenant_id: Uuid,
    pub action: KeyChainAction,
    pub key: Fingerprint,
    pub nonce: String,
    pub time: DateTime<Utc>,
}

/// Why a statement's text is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a callvault key change statement: {0}")]
pub struct BadStatement(pub &'static str);

impl Statement {
    /// The exact bytes that are signed.
    pub fn to_text(&self) -> String {
        format!(
            "{STATEMENT_MAGIC}\ntenant: {}\naction: {}\nkey: {}\nnonce: {}\ntime: {}\n",
            self.tenant_id,
            self.action.as_str(),
            self.key,
            self.nonce,
            self.time.to_rfc3339_opts(SecondsFormat::Secs, true),
        )
    }

    /// Reads a statement back; anything but the exact form [`Statement::to_text`] writes is
    /// refused, so that the bytes signed and the meaning read are one.
    pub fn parse(text: &str) -> Result<Self, BadStatement> {
        let body = text
            .strip_suffix('\n')
            .ok_or(BadStatement("it must end with a line feed"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(STATEMENT_MAGIC) {
            return Err(BadStatement("the first line must be the format's name"));
        }
        let mut field = |name: &'static str| {
            lines
                .next()
                .and_then(|line| line.strip_prefix(name))
                .and_then(|line| line.strip_prefix(": "))
                .ok_or(BadStatement(name))
        };
        let tenant_id = field("tenant")?
            .parse()
            .map_err(|_| BadStatement("tenant"))?;
        let action = KeyChainAction::from_name(field("action")?)
            .filter(|action| *action != KeyChainAction::Pin)
            .ok_or(BadStatement("action"))?;
        let key = field("key")?.parse().map_err(|_| BadStatement("key"))?;
        let nonce = field("nonce")?.to_owned();
        let time = DateTime::parse_from_rfc3339(field("time")?)
            .map_err(|_| BadStatement("time"))?
            .with_timezone(&Utc);
        if lines.next().is_some() {
            return Err(BadStatement("it has more lines than a statement"));
        }
        if nonce.is_empty() || nonce.len() > 128 || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(BadStatement("nonce"));
        }
        let statement = Self {
            tenant_id,
            action,
            key,
            nonce,
            time,
        };
        if statement.to_text() != text {
            return Err(BadStatement("it is not written in the canonical form"));
        }
        Ok(statement)
    }

    /// Signs the statement with the tenant's key.
    pub fn sign<C: Crypto>(&self, key: &RsaPrivateKey<C>) -> Result<SignedStatement, CryptoError> {
        let text = self.to_text();
        let signature = key.sign_pss(text.as_bytes())?;
        Ok(SignedStatement { text, signature })
    }
}

/// A statement's text and the signature over it, as they travel in the request headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedStatement {
    pub text: String,
    pub signature: Vec<u8>,
}

impl SignedStatement {
    /// The values of [`crate::api::STATEMENT_HEADER`] and [`crate::api::SIGNATURE_HEADER`].
    pub fn header_values(&self) -> (String, String) {
        (
            STANDARD.encode(&self.text),
            STANDARD.encode(&self.signature),
        )
    }

    pub fn from_header_values(statement: &str, signature: &str) -> Result<Self, BadStatement> {
        let text = STANDARD
            .decode(statement.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(BadStatement(
                "the statement header is not base64 of UTF-8 text",
            ))?;
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|_| BadStatement("the signature header is not base64"))?;
        Ok(Self { text, signature })
    }

    /// Checks the signature by `key`, then reads the statement.
    pub fn verify<C: Crypto>(&self, key: &RsaPublicKey<C>) -> Result<Statement, BadSignature> {
        key.verify_pss(self.text.as_bytes(), &self.signature)?;
        Statement::parse(&self.text).map_err(|_| BadSignature)
    }
}
