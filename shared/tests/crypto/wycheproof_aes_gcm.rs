use callvault_shared::crypto::{Aes256Gcm, Crypto};

use crate::support::{hex, vector_file};

/// The 256-bit key groups with 96-bit nonces: the only AES-GCM callvault uses.
fn aes_256_gcm<C: Crypto>() {
    let file = vector_file("aes_gcm_test.json");
    let mut checked = 0;
    for group in file["testGroups"].as_array().expect("groups") {
        if group["keySize"] != 256 || group["ivSize"] != 96 || group["tagSize"] != 128 {
            continue;
        }
        for test in group["tests"].as_array().expect("tests") {
            let id = &test["tcId"];
            let key: [u8; 32] = hex(&test["key"]).try_into().expect("32-byte key");
            let nonce: [u8; 12] = hex(&test["iv"]).try_into().expect("12-byte nonce");
            let aad = hex(&test["aad"]);
            let message = hex(&test["msg"]);
            let expected = hex(&test["ct"]);
            let tag: [u8; 16] = hex(&test["tag"]).try_into().expect("16-byte tag");
            let aead = C::aes_256_gcm(&key);

            let mut opened = expected.clone();
            let result = aead.open_in_place(&nonce, &aad, &mut opened, &tag);
            if test["result"] == "valid" {
                assert!(result.is_ok(), "tc {id} opens");
                assert_eq!(opened, message, "tc {id}");
                let mut sealed = message.clone();
                assert_eq!(
                    aead.seal_in_place(&nonce, &aad, &mut sealed),
                    tag,
                    "tc {id}"
                );
                assert_eq!(sealed, expected, "tc {id}");
            } else {
                assert!(result.is_err(), "tc {id} must fail");
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} AES-256-GCM vectors");
}

for_both_implementations!(aes_256_gcm);
