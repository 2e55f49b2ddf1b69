//! Replays a key chain from its pinned key: every signature by the key active at that point,
//! every statement about this tenant and its link. What the server does before it accepts a
//! change, and what `callvault verify --chain` does offline.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::SignedStatement;
use crate::api::{KeyChain, KeyChainAction, KeyChainLink};
use crate::crypto::Crypto;
use crate::keys::{Fingerprint, KeyFile, RsaPublicKey, import_key};

/// A chain that holds.
pub struct VerifiedChain<C: Crypto> {
    /// Every key the chain ever admitted, by fingerprint: pinned or added with a signature.
    pub keys: BTreeMap<Fingerprint, RsaPublicKey<C>>,
    /// The key that signs the next change: the last pinned or activated one. `None` once the
    /// tenant signed its way back to provider-held keys.
    pub signer: Option<Fingerprint>,
    /// The first link's key.
    pub pinned: Option<Fingerprint>,
    /// Links after the first that pin a key again (after a signed return to provider-held
    /// keys): each is a new trust-on-first-use step the tenant should know about.
    pub repins: Vec<u64>,
    pub links: u64,
}

impl<C: Crypto> VerifiedChain<C> {
    /// The signer's public key.
    pub fn signer_key(&self) -> Option<&RsaPublicKey<C>> {
        self.signer.and_then(|signer| self.keys.get(&signer))
    }
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link {seq}: {problem}")]
pub struct ChainError {
    pub seq: u64,
    pub problem: String,
}

pub fn verify_chain<C: Crypto>(chain: &KeyChain) -> Result<VerifiedChain<C>, ChainError> {
    let mut verified = VerifiedChain {
        keys: BTreeMap::new(),
        signer: None,
        pinned: None,
        repins: Vec::new(),
        links: 0,
    };
    for (index, link) in chain.links.iter().enumerate() {
        let fail = |problem: String| ChainError {
            seq: link.seq,
            problem,
        };
        if link.seq != index as u64 + 1 {
            return Err(fail(format!("expected link {}", index + 1)));
        }
        let target: Fingerprint = link
            .key_fingerprint
            .parse()
            .map_err(|_| fail("the key fingerprint is malformed".into()))?;
        if link.action == KeyChainAction::Pin {
            pin(&mut verified, link, target).map_err(fail)?;
        } else {
            follow(&mut verified, chain, link, target).map_err(fail)?;
        }
        verified.links += 1;
    }
    Ok(verified)
}

fn pin<C: Crypto>(
    verified: &mut VerifiedChain<C>,
    link: &KeyChainLink,
    target: Fingerprint,
) -> Result<(), String> {
    if verified.signer.is_some() {
        return Err("a key is pinned while the chain already has one".into());
    }
    let key = public_key::<C>(link, target)?;
    verified.keys.insert(target, key);
    verified.signer = Some(target);
    match verified.pinned {
        None => verified.pinned = Some(target),
        Some(_) => verified.repins.push(link.seq),
    }
    Ok(())
}

fn follow<C: Crypto>(
    verified: &mut VerifiedChain<C>,
    chain: &KeyChain,
    link: &KeyChainLink,
    target: Fingerprint,
) -> Result<(), String> {
    let signer_key = verified
        .signer_key()
        .ok_or("a signed change where no key is pinned")?;
    let signer = signer_key.fingerprint();
    if link.signed_by.as_deref() != Some(signer.to_hex().as_str()) {
        return Err(format!("it must be signed by the active key {signer}"));
    }
    let signed = SignedStatement {
        text: link.statement.clone().ok_or("the statement is missing")?,
        signature: STANDARD
            .decode(
                link.signature
                    .as_deref()
                    .ok_or("the signature is missing")?,
            )
            .map_err(|_| "the signature is not base64")?,
    };
    let statement = signed
        .verify(signer_key)
        .map_err(|_| format!("the signature does not verify with the key {signer}"))?;
    if statement.tenant_id != chain.tenant_id
        || statement.action != link.action
        || statement.key != target
    {
        return Err("the statement says something else than the link".into());
    }
    match link.action {
        KeyChainAction::AddKey => {
            let key = public_key::<C>(link, target)?;
            verified.keys.insert(target, key);
        }
        KeyChainAction::ActivateKey => {
            if !verified.keys.contains_key(&target) {
                return Err("it activates a key the chain never admitted".into());
            }
            verified.signer = Some(target);
        }
        KeyChainAction::ProviderHeld => verified.signer = None,
        KeyChainAction::RetireKey | KeyChainAction::DestroyKey | KeyChainAction::EncryptionOff => {}
        KeyChainAction::Pin => unreachable!("pins are not followed"),
    }
    Ok(())
}

fn public_key<C: Crypto>(
    link: &KeyChainLink,
    target: Fingerprint,
) -> Result<RsaPublicKey<C>, String> {
    let pem = link
        .public_key_pem
        .as_deref()
        .ok_or("the public key is missing")?;
    let Ok(KeyFile::Public(key)) = import_key::<C>(pem.as_bytes(), None) else {
        return Err("the public key does not parse".into());
    };
    if key.fingerprint() != target {
        return Err("the public key is not the one the fingerprint names".into());
    }
    Ok(key)
}
