use callvault_shared::crypto::Crypto;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;

use crate::support::{hex, vector_file};

/// The vectors are of full HKDF; callvault uses HKDF-Expand only, so the Extract step (one
/// HMAC) is done here and the implementations' Expand is checked against the output.
fn hkdf_sha512<C: Crypto>() {
    let file = vector_file("hkdf_sha512_test.json");
    let mut checked = 0;
    for group in file["testGroups"].as_array().expect("groups") {
        for test in group["tests"].as_array().expect("tests") {
            let id = &test["tcId"];
            let salt = hex(&test["salt"]);
            let salt = if salt.is_empty() { vec![0u8; 64] } else { salt };
            let mut extract =
                <Hmac<Sha512> as KeyInit>::new_from_slice(&salt).expect("any key length");
            extract.update(&hex(&test["ikm"]));
            let prk = extract.finalize().into_bytes();
            let size = test["size"].as_u64().expect("size") as usize;
            let mut okm = vec![0u8; size];
            let result = C::hkdf_sha512_expand(&prk, &hex(&test["info"]), &mut okm);
            if test["result"] == "valid" {
                assert!(result.is_ok(), "tc {id}");
                assert_eq!(okm, hex(&test["okm"]), "tc {id}");
            } else {
                assert!(result.is_err(), "tc {id} must fail");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 83);
}

for_both_implementations!(hkdf_sha512);
