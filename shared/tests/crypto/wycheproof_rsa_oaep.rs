use callvault_shared::crypto::Crypto;

use crate::support::{hex, vector_file};

fn check<C: Crypto>(bits: usize) {
    let file = vector_file(&format!("rsa_oaep_{bits}_sha256_mgf1sha256_test.json"));
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        let key =
            C::private_key_from_pkcs8(&hex(&group["privateKeyPkcs8"])).expect("the key loads");
        for test in group["tests"].as_array().expect("tests") {
            let id = &test["tcId"];
            let result = C::oaep_decrypt(&key, &hex(&test["ct"]), &hex(&test["label"]));
            let right = match result {
                Ok(message) => {
                    test["result"] == "valid" && message.expose() == hex(&test["msg"]).as_slice()
                }
                Err(_) => test["result"] != "valid",
            };
            if !right {
                wrong.push(format!("tc {id} ({})", test["comment"]));
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} with RSA-{bits}: {}",
        C::NAME,
        wrong.join(", ")
    );
    assert!(checked > 20, "{checked} vectors");
}

fn rsa_oaep_2048<C: Crypto>() {
    check::<C>(2048);
}

fn rsa_oaep_3072<C: Crypto>() {
    check::<C>(3072);
}

fn rsa_oaep_4096<C: Crypto>() {
    check::<C>(4096);
}

for_both_implementations!(rsa_oaep_2048, rsa_oaep_3072, rsa_oaep_4096);
