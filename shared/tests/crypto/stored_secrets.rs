use callvault_shared::crypto::Crypto;
use callvault_shared::stored_secrets::{self, PasswordParams};

use crate::support::test_key;

fn password_sealing_opens_with_the_password_only<C: Crypto>() {
    let sealed = stored_secrets::seal_with_password::<C>(
        b"secret",
        b"correct horse",
        b"user 7",
        PasswordParams::MINIMUM,
    )
    .expect("seals");
    assert_eq!(
        stored_secrets::open_with_password::<C>(&sealed, b"correct horse", b"user 7")
            .expect("opens")
            .expose(),
        b"secret"
    );
    assert!(
        stored_secrets::open_with_password::<C>(&sealed, b"correct horsf", b"user 7").is_err(),
        "wrong password"
    );
    assert!(
        stored_secrets::open_with_password::<C>(&sealed, b"correct horse", b"user 8").is_err(),
        "wrong associated data"
    );
    for at in [0, 1, 5, 20, sealed.len() - 1] {
        let mut damaged = sealed.clone();
        damaged[at] ^= 1;
        assert!(
            stored_secrets::open_with_password::<C>(&damaged, b"correct horse", b"user 7").is_err(),
            "byte {at}"
        );
    }
    assert!(
        stored_secrets::open_with_password::<C>(
            &sealed[..sealed.len() - 1],
            b"correct horse",
            b"user 7"
        )
        .is_err()
    );
}

fn weak_password_parameters_are_refused<C: Crypto>() {
    let weak = PasswordParams {
        memory_kib: 1024,
        ..PasswordParams::MINIMUM
    };
    assert!(stored_secrets::seal_with_password::<C>(b"secret", b"pw", b"", weak).is_err());
}

fn public_key_sealing_opens_with_the_private_key_only<C: Crypto>() {
    let owner = test_key::<C>(2048);
    let stranger = test_key::<C>(3072);
    let sealed = stored_secrets::seal_to_public_key(
        b"key material",
        owner.public_key(),
        b"key 1 user 2 tenant 3",
    )
    .expect("seals");
    let opened = stored_secrets::open_with_private_key(&sealed, &owner, b"key 1 user 2 tenant 3")
        .expect("opens");
    assert_eq!(opened.expose(), b"key material");
    assert!(
        stored_secrets::open_with_private_key(&sealed, &owner, b"key 1 user 2 tenant 4").is_err(),
        "bound to its context"
    );
    assert!(
        stored_secrets::open_with_private_key(&sealed, &stranger, b"key 1 user 2 tenant 3")
            .is_err()
    );
    let mut damaged = sealed.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(
        stored_secrets::open_with_private_key(&damaged, &owner, b"key 1 user 2 tenant 3").is_err()
    );
}

for_both_implementations!(
    password_sealing_opens_with_the_password_only,
    weak_password_parameters_are_refused,
    public_key_sealing_opens_with_the_private_key_only,
);
