//! What one implementation seals, the other opens: files, grants and password-sealed keys.

use callvault_shared::crypto::{AwsLc, Crypto, RustCrypto};
use callvault_shared::keys::RsaPrivateKey;
use callvault_shared::sealed;
use callvault_shared::stored_secrets::{self, PasswordParams};

use crate::support::{plaintext, test_key};

/// The same key in the other implementation, through its PKCS#8 encoding.
fn convert<A: Crypto, B: Crypto>(key: &RsaPrivateKey<A>) -> RsaPrivateKey<B> {
    RsaPrivateKey::from_pkcs8_der(key.to_pkcs8_der().expect("encodes").expose()).expect("loads")
}

fn files_cross<A: Crypto, B: Crypto>() {
    let sealer = test_key::<A>(3072);
    let opener: RsaPrivateKey<B> = convert(&sealer);
    assert_eq!(sealer.fingerprint(), opener.fingerprint());
    let data = plaintext(100_000);
    let mut file = Vec::new();
    sealed::seal(
        [9; 16],
        "audio/flac",
        &[sealer.public_key()],
        data.as_slice(),
        &mut file,
    )
    .expect("seals");
    let mut opened = Vec::new();
    sealed::open(&opener, file.as_slice(), &mut opened).expect("the other implementation opens it");
    assert_eq!(opened, data);
}

fn grants_cross<A: Crypto, B: Crypto>() {
    let recipient = test_key::<A>(2048);
    let sealed =
        stored_secrets::seal_to_public_key(b"a private key", recipient.public_key(), b"grant")
            .expect("seals");
    let other: RsaPrivateKey<B> = convert(&recipient);
    let opened = stored_secrets::open_with_private_key(&sealed, &other, b"grant").expect("opens");
    assert_eq!(opened.expose(), b"a private key");
}

fn passwords_cross<A: Crypto, B: Crypto>() {
    let sealed = stored_secrets::seal_with_password::<A>(
        b"user key",
        b"pass word",
        b"user 1",
        PasswordParams::MINIMUM,
    )
    .expect("seals");
    let opened =
        stored_secrets::open_with_password::<B>(&sealed, b"pass word", b"user 1").expect("opens");
    assert_eq!(opened.expose(), b"user key");
}

#[test]
fn rust_crypto_sealed_files_open_with_aws_lc() {
    files_cross::<RustCrypto, AwsLc>();
}

#[test]
fn aws_lc_sealed_files_open_with_rust_crypto() {
    files_cross::<AwsLc, RustCrypto>();
}

#[test]
fn grants_open_across_implementations() {
    grants_cross::<RustCrypto, AwsLc>();
    grants_cross::<AwsLc, RustCrypto>();
}

#[test]
fn password_sealed_secrets_open_across_implementations() {
    passwords_cross::<RustCrypto, AwsLc>();
    passwords_cross::<AwsLc, RustCrypto>();
}
