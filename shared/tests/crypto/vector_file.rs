//! The committed sealed-recording vector opens with both implementations, and with an
//! independent reader that knows only FORMAT.md, OpenSSL and AES-GCM.

use std::path::PathBuf;

use callvault_shared::crypto::Crypto;
use callvault_shared::keys::{KeyFile, import_key};
use callvault_shared::sealed;
use sha2::{Digest, Sha256};

const PLAINTEXT_SHA256: &str = "9fc21f427eeffb90798d9cca6c31df15e1a00e9744d21a382e8bbd6b334e624a";
const FINGERPRINT: &str = "24106688549443812daf4c746c628b0eb46f2cbb8c0d2d4981b338741526b64c";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sealed")
}

fn committed_vector_opens<C: Crypto>() {
    let key = std::fs::read(dir().join("key.pem")).expect("key");
    let Ok(KeyFile::Private(key)) = import_key::<C>(&key, None) else {
        panic!("the vector key loads")
    };
    assert_eq!(key.fingerprint().to_hex(), FINGERPRINT);
    let file = std::fs::read(dir().join("recording.sealed")).expect("sealed file");
    let mut plaintext = Vec::new();
    let summary = sealed::open(&key, file.as_slice(), &mut plaintext).expect("opens");
    assert_eq!(hex::encode(Sha256::digest(&plaintext)), PLAINTEXT_SHA256);
    assert_eq!(summary.header.content_type, "audio/wav");
    let expected: Vec<u8> = (0..40_000usize).map(|i| ((i * 7919) >> 5) as u8).collect();
    assert_eq!(plaintext, expected);
}

for_both_implementations!(committed_vector_opens);

#[test]
fn the_format_document_alone_suffices_to_open_the_vector() {
    let out = tempfile::NamedTempFile::new().expect("temporary file");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/open_sealed.py");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir().join("key.pem"))
        .arg(dir().join("recording.sealed"))
        .arg(out.path())
        .status()
        .expect("python3 runs (with the `cryptography` package)");
    assert!(status.success());
    let plaintext = std::fs::read(out.path()).expect("output");
    assert_eq!(hex::encode(Sha256::digest(&plaintext)), PLAINTEXT_SHA256);
}
