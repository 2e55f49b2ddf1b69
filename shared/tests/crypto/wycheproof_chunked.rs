//! c2sp.org/chunked-encryption vectors ("Cobblestone-256"): streaming, random access, the
//! final-chunk check and raw-mode re-encryption, as the vectors' README asks.

use std::io::Read;

use callvault_shared::chunked::{self, ChunkDecryptor, ChunkEncryptor, ChunkKeys, RandomAccess};
use callvault_shared::crypto::Crypto;
use sha2::{Digest, Sha512};

use crate::support::{hex, vector_file};

struct Vector {
    id: u64,
    key: Vec<u8>,
    context: Vec<u8>,
    ciphertext: Vec<u8>,
    valid: bool,
    flags: Vec<String>,
    msg_len: usize,
    msg_sha512: Vec<u8>,
    aead_key: Option<Vec<u8>>,
    base_nonce: Option<Vec<u8>>,
}

impl Vector {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn header(&self) -> Option<[u8; chunked::HEADER_LEN]> {
        self.ciphertext.get(..chunked::HEADER_LEN)?.try_into().ok()
    }

    fn check_prefix(&self, released: &[u8]) {
        assert!(
            released.len() <= self.msg_len,
            "tc {}: released {} bytes, more than {}",
            self.id,
            released.len(),
            self.msg_len
        );
        if released.len() == self.msg_len && !self.msg_sha512.is_empty() {
            assert_eq!(
                Sha512::digest(released).as_slice(),
                self.msg_sha512.as_slice(),
                "tc {}",
                self.id
            );
        }
    }
}

fn vectors() -> Vec<Vector> {
    let file = vector_file("c2sp_chunked_encryption_aes_256_gcm_test.json");
    let mut vectors = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        for test in group["tests"].as_array().expect("tests") {
            let mut ciphertext = Vec::new();
            flate2::read::ZlibDecoder::new(hex(&test["ct"]).as_slice())
                .read_to_end(&mut ciphertext)
                .expect("ct is a zlib stream");
            vectors.push(Vector {
                id: test["tcId"].as_u64().expect("id"),
                key: hex(&test["key"]),
                context: hex(&test["ctx"]),
                ciphertext,
                valid: test["result"] == "valid",
                flags: test["flags"]
                    .as_array()
                    .expect("flags")
                    .iter()
                    .map(|f| f.as_str().expect("flag").to_owned())
                    .collect(),
                msg_len: test["msgLength"].as_u64().unwrap_or(0) as usize,
                msg_sha512: test.get("msgSha512").map(hex).unwrap_or_default(),
                aead_key: test.get("aeadKey").map(hex),
                base_nonce: test.get("baseNonce").map(hex),
            });
        }
    }
    assert_eq!(vectors.len(), 35, "all vectors read");
    vectors
}

/// Opens the header; `None` when the vector is rejected there.
fn keys<C: Crypto>(vector: &Vector) -> Option<ChunkKeys<C>> {
    ChunkKeys::<C>::for_decryption(&vector.key, &vector.header()?, &vector.context).ok()
}

fn streaming<C: Crypto>() {
    for vector in vectors() {
        let Some(keys) = keys::<C>(&vector) else {
            assert!(
                vector.has("HeaderFailure") && !vector.valid,
                "tc {} failed at the header",
                vector.id
            );
            continue;
        };
        assert!(
            !vector.has("HeaderFailure"),
            "tc {} passed the header",
            vector.id
        );
        let mut decryptor = ChunkDecryptor::new(keys);
        let mut released = Vec::new();
        // Odd-sized pieces, so that chunk boundaries fall inside them.
        let mut result = Ok(());
        for piece in vector.ciphertext[chunked::HEADER_LEN..].chunks(7919) {
            result = decryptor.update(piece, &mut released);
            if result.is_err() {
                break;
            }
        }
        let result = result.and_then(|()| decryptor.finish(&mut released));
        if vector.valid {
            assert!(result.is_ok(), "tc {} decrypts", vector.id);
            assert_eq!(released.len(), vector.msg_len, "tc {}", vector.id);
            assert_eq!(
                Sha512::digest(&released).as_slice(),
                vector.msg_sha512.as_slice(),
                "tc {}",
                vector.id
            );
        } else {
            assert!(result.is_err(), "tc {} must fail", vector.id);
            vector.check_prefix(&released);
            // And it keeps failing.
            assert!(
                decryptor.update(b"more", &mut released).is_err(),
                "tc {}",
                vector.id
            );
            assert!(decryptor.finish(&mut released).is_err(), "tc {}", vector.id);
        }
    }
}

fn streaming_through_read<C: Crypto>() {
    for vector in vectors() {
        let Some(keys) = keys::<C>(&vector) else {
            continue;
        };
        let mut reader = chunked::DecryptReader::new(
            ChunkDecryptor::new(keys),
            &vector.ciphertext[chunked::HEADER_LEN..],
        );
        let mut released = Vec::new();
        let result = reader.read_to_end(&mut released);
        assert_eq!(result.is_ok(), vector.valid, "tc {}", vector.id);
        if !vector.valid {
            vector.check_prefix(&released);
            let mut more = [0u8; 16];
            assert!(
                reader.read(&mut more).is_err(),
                "tc {}: an error, never a clean end",
                vector.id
            );
        }
    }
}

fn random_access<C: Crypto>() {
    for vector in vectors() {
        let Some(keys) = keys::<C>(&vector) else {
            continue;
        };
        let Ok(access) = RandomAccess::new(keys, 0, vector.ciphertext.len() as u64) else {
            assert!(!vector.valid, "tc {}: a valid length", vector.id);
            continue;
        };
        let source: &[u8] = &vector.ciphertext;
        let whole = (0..=access.last_chunk())
            .map(|index| access.read_chunk(source, index))
            .collect::<Result<Vec<_>, _>>()
            .map(|chunks| chunks.concat());
        match whole {
            Ok(plaintext) => {
                assert!(vector.valid, "tc {} must fail", vector.id);
                assert_eq!(
                    Sha512::digest(&plaintext).as_slice(),
                    vector.msg_sha512.as_slice(),
                    "tc {}",
                    vector.id
                );
            }
            Err(_) => assert!(!vector.valid, "tc {} decrypts", vector.id),
        }
        let length_checks = access.verify_length(source).is_ok();
        assert_eq!(
            length_checks,
            vector.valid || vector.has("ValidFinalChunk"),
            "tc {}: final chunk check",
            vector.id
        );
    }
}

fn raw_mode_reencryption_matches<C: Crypto>() {
    let mut checked = 0;
    for vector in vectors().into_iter().filter(|v| v.valid) {
        let (Some(aead_key), Some(base_nonce)) = (&vector.aead_key, &vector.base_nonce) else {
            continue;
        };
        let keys = ChunkKeys::<C>::for_decryption(
            &vector.key,
            &vector.header().expect("header"),
            &vector.context,
        )
        .expect("opens");
        let mut plaintext = Vec::new();
        let mut decryptor = ChunkDecryptor::new(keys);
        decryptor
            .update(&vector.ciphertext[chunked::HEADER_LEN..], &mut plaintext)
            .expect("decrypts");
        decryptor.finish(&mut plaintext).expect("decrypts");

        let raw = ChunkKeys::<C>::raw(
            aead_key.as_slice().try_into().expect("32 bytes"),
            base_nonce.as_slice().try_into().expect("12 bytes"),
        );
        let mut encryptor = ChunkEncryptor::new(raw);
        let mut ciphertext = Vec::new();
        encryptor
            .update(&plaintext, &mut ciphertext)
            .expect("encrypts");
        encryptor.finish(&mut ciphertext).expect("encrypts");
        assert!(
            ciphertext == vector.ciphertext[chunked::HEADER_LEN..],
            "tc {}: byte for byte",
            vector.id
        );
        checked += 1;
    }
    assert!(checked >= 8, "raw mode checked on {checked} vectors");
}

for_both_implementations!(
    streaming,
    streaming_through_read,
    random_access,
    raw_mode_reencryption_matches
);
