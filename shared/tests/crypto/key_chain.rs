//! Signed key-change statements and the chain they form: signatures made by one
//! implementation verify with the other, and any change to a link breaks the chain.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callvault_shared::api::{KeyChain, KeyChainAction, KeyChainLink};
use callvault_shared::crypto::{AwsLc, Crypto, RustCrypto};
use callvault_shared::key_chain::{SignedStatement, Statement, verify_chain};
use callvault_shared::keys::RsaPrivateKey;
use chrono::{TimeZone, Utc};
use uuid::Uuid;

use crate::support::test_key;

const TENANT: Uuid = Uuid::from_u128(0x0193_a4f2_7c1e_7d3a_9a51_2f0c_8e6b_4d10);

fn statement<C: Crypto>(action: KeyChainAction, key: &RsaPrivateKey<C>, nonce: &str) -> Statement {
    Statement {
        tenant_id: TENANT,
        action,
        key: key.fingerprint(),
        nonce: nonce.into(),
        time: Utc.with_ymd_and_hms(2026, 12, 1, 10, 25, 33).unwrap(),
    }
}

fn signed_link<C: Crypto>(
    seq: u64,
    action: KeyChainAction,
    target: &RsaPrivateKey<C>,
    signer: &RsaPrivateKey<C>,
) -> KeyChainLink {
    let signed = statement(action, target, &format!("n{seq}"))
        .sign(signer)
        .expect("signed");
    KeyChainLink {
        seq,
        action,
        key_fingerprint: target.fingerprint().to_hex(),
        public_key_pem: (action == KeyChainAction::AddKey).then(|| target.public_key().to_pem()),
        statement: Some(signed.text),
        signature: Some(STANDARD.encode(signed.signature)),
        signed_by: Some(signer.fingerprint().to_hex()),
        at: Utc::now(),
    }
}

fn pin_link<C: Crypto>(key: &RsaPrivateKey<C>) -> KeyChainLink {
    KeyChainLink {
        seq: 1,
        action: KeyChainAction::Pin,
        key_fingerprint: key.fingerprint().to_hex(),
        public_key_pem: Some(key.public_key().to_pem()),
        statement: None,
        signature: None,
        signed_by: None,
        at: Utc::now(),
    }
}

/// The pinned key adds and activates a second one, which then retires the first.
fn rotation<C: Crypto>(old: &RsaPrivateKey<C>, new: &RsaPrivateKey<C>) -> KeyChain {
    KeyChain {
        tenant_id: TENANT,
        links: vec![
            pin_link(old),
            signed_link(2, KeyChainAction::AddKey, new, old),
            signed_link(3, KeyChainAction::ActivateKey, new, old),
            signed_link(4, KeyChainAction::RetireKey, old, new),
        ],
    }
}

fn a_statement_reads_back_only_in_its_canonical_form<C: Crypto>() {
    let key = test_key::<C>(2048);
    let text = statement(KeyChainAction::AddKey, &key, "abc123").to_text();
    assert_eq!(
        Statement::parse(&text).expect("parses"),
        statement(KeyChainAction::AddKey, &key, "abc123")
    );
    for bad in [
        text.replace('\n', "\r\n"),
        text.trim_end().to_owned(),
        text.replace("add_key", "pin"),
        text.replace(
            "time: 2026-12-01T10:25:33Z",
            "time: 2026-12-01T11:25:33+01:00",
        ),
        format!("{text}extra: 1\n"),
        text.replace("tenant: ", "tenant:  "),
    ] {
        assert!(Statement::parse(&bad).is_err(), "{bad:?}");
    }
}

fn a_signature_verifies_only_with_its_key_and_its_bytes<C: Crypto>() {
    let key = test_key::<C>(2048);
    let other = test_key::<C>(3072);
    let signed = statement(KeyChainAction::RetireKey, &key, "n1")
        .sign(&key)
        .expect("signed");
    assert!(signed.verify(key.public_key()).is_ok());
    assert!(signed.verify(other.public_key()).is_err());
    let mut altered = signed.clone();
    altered.text = altered.text.replace("retire_key", "destroy_key");
    assert!(altered.verify(key.public_key()).is_err());
    let (statement_header, signature_header) = signed.header_values();
    assert_eq!(
        SignedStatement::from_header_values(&statement_header, &signature_header).expect("decodes"),
        signed
    );
}

fn a_rotation_chain_verifies<C: Crypto>() {
    let (old, new) = (test_key::<C>(2048), test_key::<C>(3072));
    let verified = verify_chain::<C>(&rotation(&old, &new)).expect("intact");
    assert_eq!(verified.pinned, Some(old.fingerprint()));
    assert_eq!(verified.signer, Some(new.fingerprint()));
    assert_eq!(verified.keys.len(), 2);
}

fn any_changed_link_breaks_the_chain<C: Crypto>() {
    let (old, new, stranger) = (
        test_key::<C>(2048),
        test_key::<C>(3072),
        test_key::<C>(4096),
    );
    let honest = rotation(&old, &new);
    let mut swapped_key = honest.clone();
    swapped_key.links[1].public_key_pem = Some(stranger.public_key().to_pem());
    let mut other_signer = honest.clone();
    other_signer.links[2] = signed_link(3, KeyChainAction::ActivateKey, &new, &stranger);
    let mut signed_by_the_new_key_too_early = honest.clone();
    signed_by_the_new_key_too_early.links[2] =
        signed_link(3, KeyChainAction::ActivateKey, &new, &new);
    let mut other_tenant = honest.clone();
    other_tenant.tenant_id = Uuid::nil();
    let mut relabelled = honest.clone();
    relabelled.links[3].action = KeyChainAction::DestroyKey;
    let mut dropped = honest.clone();
    dropped.links.remove(1);
    let mut activates_a_stranger = honest.clone();
    activates_a_stranger.links[2] = signed_link(3, KeyChainAction::ActivateKey, &stranger, &old);
    for (name, chain) in [
        ("a swapped public key", swapped_key),
        ("another signer", other_signer),
        (
            "a key signing before it is active",
            signed_by_the_new_key_too_early,
        ),
        ("another tenant", other_tenant),
        ("a relabelled link", relabelled),
        ("a dropped link", dropped),
        ("an unadmitted key activated", activates_a_stranger),
    ] {
        assert!(verify_chain::<C>(&chain).is_err(), "{name}");
    }
}

for_both_implementations!(
    a_statement_reads_back_only_in_its_canonical_form,
    a_signature_verifies_only_with_its_key_and_its_bytes,
    a_rotation_chain_verifies,
    any_changed_link_breaks_the_chain,
);

#[test]
fn signatures_cross_between_the_implementations() {
    let browser = test_key::<RustCrypto>(3072);
    let server = test_key::<AwsLc>(3072);
    let by_browser = statement(KeyChainAction::AddKey, &browser, "x")
        .sign(&browser)
        .expect("signed");
    assert!(by_browser.verify(server.public_key()).is_ok());
    let by_server = statement(KeyChainAction::AddKey, &server, "y")
        .sign(&server)
        .expect("signed");
    assert!(by_server.verify(browser.public_key()).is_ok());
}
