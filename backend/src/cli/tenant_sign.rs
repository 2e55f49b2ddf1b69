//! `callvault tenant sign`: signs a key-change statement with the tenant's own key file, for
//! scripts that change a tenant-held tenant's keys through the API.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use callvault_shared::api::{SIGNATURE_HEADER, STATEMENT_HEADER, StatementToSign};
use callvault_shared::key_chain::Statement;
use callvault_shared::keys::KeyFile;

use super::key_file::{self, Unlock};

/// Reads the statement (the JSON `POST …/keys/statements` answers, or the bare text), says on
/// stderr what it is about to sign, and prints the two request headers on stdout, ready for
/// `curl -H @file`.
pub fn sign(key: &Path, passphrase_file: Option<&Path>, statement: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(statement)
        .with_context(|| format!("cannot read {}", statement.display()))?;
    let text = match serde_json::from_str::<StatementToSign>(&text) {
        Ok(issued) => issued.statement,
        Err(_) => text,
    };
    let statement = Statement::parse(&text)?;
    let KeyFile::Private(key) = key_file::load(key, Unlock::Passphrase(passphrase_file))? else {
        bail!(
            "{} is a public key: signing needs the private key file",
            key.display()
        );
    };
    eprintln!(
        "signing, with the key {}: {} (key {}) in the tenant {}, nonce {}, at {}",
        key.fingerprint(),
        statement.action.describe(),
        statement.key,
        statement.tenant_id,
        statement.nonce,
        statement.time
    );
    let (statement_value, signature_value) = statement.sign(&key)?.header_values();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{STATEMENT_HEADER}: {statement_value}")?;
    writeln!(out, "{SIGNATURE_HEADER}: {signature_value}")?;
    Ok(())
}
