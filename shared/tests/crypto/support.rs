//! Test keys and vector files.

use std::path::PathBuf;

use callvault_shared::crypto::Crypto;
use callvault_shared::keys::RsaPrivateKey;

pub fn vector_file(name: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/wycheproof")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

pub fn hex(value: &serde_json::Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("a hex string")).expect("valid hex")
}

/// Wycheproof's RSA-OAEP test keys (public test keys, 2048/3072/4096 bits): real keys with
/// no key generation in the tests.
pub fn test_key<C: Crypto>(bits: usize) -> RsaPrivateKey<C> {
    let file = vector_file(&format!("rsa_oaep_{bits}_sha256_mgf1sha256_test.json"));
    let der = hex(&file["testGroups"][0]["privateKeyPkcs8"]);
    RsaPrivateKey::from_pkcs8_der(&der).expect("the test key loads")
}

/// Deterministic bytes that do not repeat within a chunk.
pub fn plaintext(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}
