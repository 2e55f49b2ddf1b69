//! The committed sealed-recording vectors open with both implementations, and with an
//! independent reader that knows only FORMAT.md, OpenSSL and AES-GCM.
//!
//! `recording.sealed` was sealed once (with random keys and salt). The other vectors are made
//! from it, deterministically, by editing its key slots (which are not bound, so the payload
//! still opens): `CALLVAULT_WRITE_VECTORS=1 cargo test -p callvault-shared vector` writes them
//! (and their copies among the fuzz seeds); without it, the test checks that the committed
//! files are exactly what it would write.

use std::path::PathBuf;

use callvault_shared::crypto::Crypto;
use callvault_shared::keys::{Fingerprint, KeyFile, import_key};
use callvault_shared::sealed::{self, KeySlot, SealedHeader, SlotAlgorithm};
use sha2::{Digest, Sha256};

const PLAINTEXT_SHA256: &str = "9fc21f427eeffb90798d9cca6c31df15e1a00e9744d21a382e8bbd6b334e624a";
const FINGERPRINT: &str = "24106688549443812daf4c746c628b0eb46f2cbb8c0d2d4981b338741526b64c";

/// The one sealed with random keys; the others are derived from it.
const ORIGINAL: &str = "recording.sealed";
/// An extra slot of unknown algorithm 0x02 (W = 256) before the key's slot, and one of 0x03
/// with the largest W (512) after it: a reader must skip both.
const UNKNOWN_SLOT_ALGORITHM: &str = "unknown_slot_algorithm.sealed";
/// A bogus RSA-OAEP slot with the key's fingerprint before the key's real slot: a reader must
/// try both.
const DUPLICATE_FINGERPRINT: &str = "duplicate_fingerprint.sealed";
/// Every vector, each opening to the same plaintext with `key.pem`.
const VECTORS: [&str; 3] = [ORIGINAL, UNKNOWN_SLOT_ALGORITHM, DUPLICATE_FINGERPRINT];
/// Set to `1` to (re)write the derived vectors instead of checking them.
const WRITE_VECTORS: &str = "CALLVAULT_WRITE_VECTORS";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sealed")
}

/// The fuzzer starts from the vectors too.
fn fuzz_seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/open_sealed")
}

/// Deterministic filler: `len` bytes that depend on `tag`.
fn filler(tag: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag))
        .collect()
}

/// `name`, made from the original vector's bytes by editing its slots.
fn derive(original: &[u8], name: &str) -> Vec<u8> {
    let parsed = SealedHeader::parse(original).expect("the original parses");
    let mut header = parsed.header;
    let key_slot = header.slots[0].clone();
    header.slots = match name {
        UNKNOWN_SLOT_ALGORITHM => vec![
            KeySlot {
                fingerprint: Fingerprint([0x02; 32]),
                algorithm: SlotAlgorithm::Unknown(0x02),
                wrapped_key: filler(0x02, 256),
            },
            key_slot,
            KeySlot {
                fingerprint: Fingerprint([0x03; 32]),
                algorithm: SlotAlgorithm::Unknown(0x03),
                wrapped_key: filler(0x03, sealed::MAX_WRAPPED_KEY_LEN),
            },
        ],
        DUPLICATE_FINGERPRINT => {
            // A leading zero keeps it below the modulus: a well-formed ciphertext whose OAEP
            // padding fails, the commonest way a slot is bogus.
            let mut bogus = filler(0x01, key_slot.wrapped_key.len());
            bogus[0] = 0;
            vec![
                KeySlot {
                    wrapped_key: bogus,
                    ..key_slot.clone()
                },
                key_slot,
            ]
        }
        other => panic!("no recipe for {other}"),
    };
    [
        header.encode().expect("encodes").as_slice(),
        &original[parsed.len..],
    ]
    .concat()
}

#[test]
fn derived_vectors_are_what_their_recipe_makes() {
    let original = std::fs::read(dir().join(ORIGINAL)).expect("sealed file");
    let write = std::env::var(WRITE_VECTORS).is_ok_and(|value| value == "1");
    for name in [UNKNOWN_SLOT_ALGORITHM, DUPLICATE_FINGERPRINT] {
        let derived = derive(&original, name);
        for path in [dir().join(name), fuzz_seeds().join(name)] {
            if write {
                std::fs::write(&path, &derived).expect("written");
            }
            let committed = std::fs::read(&path).unwrap_or_else(|error| {
                panic!(
                    "{}: {error} (write it with {WRITE_VECTORS}=1)",
                    path.display()
                )
            });
            assert!(
                committed == derived,
                "{} is not what its recipe makes (rewrite it with {WRITE_VECTORS}=1)",
                path.display()
            );
        }
    }
    let seed = std::fs::read(fuzz_seeds().join("whole.sealed")).expect("seed");
    assert!(
        seed == original,
        "the whole-file seed is the original vector"
    );
}

fn committed_vectors_open<C: Crypto>() {
    let key = std::fs::read(dir().join("key.pem")).expect("key");
    let Ok(KeyFile::Private(key)) = import_key::<C>(&key, None) else {
        panic!("the vector key loads")
    };
    assert_eq!(key.fingerprint().to_hex(), FINGERPRINT);
    let expected: Vec<u8> = (0..40_000usize).map(|i| ((i * 7919) >> 5) as u8).collect();
    for name in VECTORS {
        let file = std::fs::read(dir().join(name)).expect("sealed file");
        let mut plaintext = Vec::new();
        let summary = sealed::open(&key, file.as_slice(), &mut plaintext)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            hex::encode(Sha256::digest(&plaintext)),
            PLAINTEXT_SHA256,
            "{name}"
        );
        assert_eq!(summary.header.content_type, "audio/wav");
        assert_eq!(plaintext, expected, "{name}");
        let (_, access) = sealed::open_random_access(&key, file.as_slice(), file.len() as u64)
            .unwrap_or_else(|error| panic!("{name} by range: {error}"));
        assert_eq!(access.plaintext_len(), 40_000, "{name}");
    }
}

for_both_implementations!(committed_vectors_open);

#[test]
fn the_format_document_alone_suffices_to_open_the_vectors() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/open_sealed.py");
    for name in VECTORS {
        let out = tempfile::NamedTempFile::new().expect("temporary file");
        let status = std::process::Command::new("python3")
            .arg(&script)
            .arg(dir().join("key.pem"))
            .arg(dir().join(name))
            .arg(out.path())
            .status()
            .expect("python3 runs (with the `cryptography` package)");
        assert!(status.success(), "{name}");
        let plaintext = std::fs::read(out.path()).expect("output");
        assert_eq!(
            hex::encode(Sha256::digest(&plaintext)),
            PLAINTEXT_SHA256,
            "{name}"
        );
    }
}
