//! Key files: what we export, OpenSSL opens; what OpenSSL writes, we import.

use std::path::Path;
use std::process::Command;

use callvault_shared::crypto::{Crypto, KeyError};
use callvault_shared::keys::{KeyFile, import_key};

use crate::support::test_key;

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn exported_keys_open_in_openssl_and_import_back<C: Crypto>() {
    let key = test_key::<C>(2048);
    let pem = key
        .to_encrypted_pem(b"a long export passphrase")
        .expect("exports");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = temp.path().to_path_buf();
    std::fs::write(dir.join("key.pem"), pem.as_bytes()).expect("written");
    let public = openssl(
        &[
            "pkey",
            "-in",
            "key.pem",
            "-passin",
            "pass:a long export passphrase",
            "-pubout",
        ],
        &dir,
    );
    assert_eq!(
        String::from_utf8(public).expect("PEM"),
        key.public_key().to_pem()
    );

    match import_key::<C>(pem.as_bytes(), Some(b"a long export passphrase")) {
        Ok(KeyFile::Private(back)) => assert_eq!(back.fingerprint(), key.fingerprint()),
        _ => panic!("the export imports back"),
    }
    assert!(matches!(
        import_key::<C>(pem.as_bytes(), Some(b"wrong")),
        Err(KeyError::WrongPassphrase)
    ));
    assert!(matches!(
        import_key::<C>(pem.as_bytes(), None),
        Err(KeyError::NeedsPassphrase)
    ));
}

fn openssl_key_files_import<C: Crypto>() {
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = temp.path().to_path_buf();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "pkcs8.pem",
        ],
        &dir,
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "pkcs8.pem",
            "-outform",
            "DER",
            "-out",
            "pkcs8.der",
        ],
        &dir,
    );
    openssl(
        &[
            "rsa",
            "-in",
            "pkcs8.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "pkcs1.der",
        ],
        &dir,
    );
    openssl(
        &[
            "rsa",
            "-in",
            "pkcs8.pem",
            "-traditional",
            "-out",
            "pkcs1.pem",
        ],
        &dir,
    );
    openssl(
        &["pkey", "-in", "pkcs8.pem", "-pubout", "-out", "public.pem"],
        &dir,
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "pkcs8.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:openssl pass",
            "-out",
            "encrypted.pem",
        ],
        &dir,
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "pkcs8.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:openssl pass",
            "-outform",
            "DER",
            "-out",
            "encrypted.der",
        ],
        &dir,
    );
    let read = |name: &str| std::fs::read(dir.join(name)).expect("file");

    let KeyFile::Private(reference) =
        import_key::<C>(&read("pkcs8.pem"), None).expect("PKCS#8 PEM")
    else {
        panic!("a private key");
    };
    for (name, passphrase) in [
        ("pkcs8.der", None),
        ("pkcs1.pem", None),
        ("pkcs1.der", None),
        ("encrypted.pem", Some(&b"openssl pass"[..])),
        ("encrypted.der", Some(&b"openssl pass"[..])),
    ] {
        match import_key::<C>(&read(name), passphrase) {
            Ok(KeyFile::Private(key)) => {
                assert_eq!(key.fingerprint(), reference.fingerprint(), "{name}")
            }
            _ => panic!("{name} imports as a private key"),
        }
    }
    match import_key::<C>(&read("public.pem"), None) {
        Ok(KeyFile::Public(key)) => assert_eq!(key.fingerprint(), reference.fingerprint()),
        _ => panic!("public.pem imports as a public key"),
    }
    // The fingerprint is the SHA-256 of the SubjectPublicKeyInfo DER, as OpenSSL computes it.
    let der = openssl(
        &["pkey", "-in", "pkcs8.pem", "-pubout", "-outform", "DER"],
        &dir,
    );
    std::fs::write(dir.join("public.der"), der).expect("written");
    let digest = openssl(&["dgst", "-sha256", "-r", "public.der"], &dir);
    assert!(
        String::from_utf8(digest)
            .expect("text")
            .starts_with(&reference.fingerprint().to_hex())
    );
}

fn small_keys_and_other_files_are_refused<C: Crypto>() {
    let temp = tempfile::tempdir().expect("temporary directory");
    let dir = temp.path().to_path_buf();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "small.pem",
        ],
        &dir,
    );
    let small = std::fs::read(dir.join("small.pem")).expect("file");
    assert!(matches!(
        import_key::<C>(&small, None),
        Err(KeyError::UnsupportedSize(1024))
    ));
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
        &dir,
    );
    let ec = std::fs::read(dir.join("ec.pem")).expect("file");
    assert!(import_key::<C>(&ec, None).is_err());
    assert!(matches!(
        import_key::<C>(b"hello", None),
        Err(KeyError::UnknownEncoding)
    ));
    assert!(
        import_key::<C>(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            None
        )
        .is_err()
    );
}

for_both_implementations!(
    exported_keys_open_in_openssl_and_import_back,
    openssl_key_files_import,
    small_keys_and_other_files_are_refused,
);
