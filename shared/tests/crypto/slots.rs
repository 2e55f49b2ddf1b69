//! Key slots the reader cannot use, and several slots for one key: slots of algorithms this
//! version does not know are skipped, every slot naming the key is tried, and what is left
//! when nothing opens is said clearly.

use callvault_shared::crypto::Crypto;
use callvault_shared::keys::{Fingerprint, RsaPrivateKey};
use callvault_shared::sealed::{
    self, KeySlot, OpenError, SealedHeader, SlotAlgorithm, open_random_access, read_header,
};

use crate::support::{plaintext, test_key};

const ID: [u8; 16] = *b"recording-slots!";

fn seal<C: Crypto>(keys: &[&RsaPrivateKey<C>], data: &[u8]) -> Vec<u8> {
    let recipients: Vec<_> = keys.iter().map(|key| key.public_key()).collect();
    let mut sealed = Vec::new();
    sealed::seal(ID, "audio/wav", &recipients, data, &mut sealed).expect("seals");
    sealed
}

/// The same file with its slots edited: the slots are not bound, so the payload still opens
/// with any slot that holds the input key.
fn with_slots(file: &[u8], edit: impl FnOnce(&mut Vec<KeySlot>)) -> Vec<u8> {
    let parsed = SealedHeader::parse(file).expect("parses");
    let mut header = parsed.header;
    edit(&mut header.slots);
    [
        header.encode().expect("encodes").as_slice(),
        &file[parsed.len..],
    ]
    .concat()
}

fn unknown(algorithm: u8, wrapped_len: usize) -> KeySlot {
    KeySlot {
        fingerprint: Fingerprint([0xab; 32]),
        algorithm: SlotAlgorithm::Unknown(algorithm),
        wrapped_key: vec![0x5a; wrapped_len],
    }
}

fn opens_to<C: Crypto>(key: &RsaPrivateKey<C>, file: &[u8], data: &[u8]) {
    let mut opened = Vec::new();
    sealed::open(key, file, &mut opened).expect("opens");
    assert_eq!(opened, data);
    let (_, access) = open_random_access(key, file, file.len() as u64).expect("opens by range");
    assert_eq!(
        access
            .read_range(file, 0..data.len() as u64)
            .expect("reads"),
        data
    );
}

fn unknown_slots_before_or_after_are_skipped<C: Crypto>() {
    let key = test_key::<C>(2048);
    let data = plaintext(20_000);
    let file = seal(&[&key], &data);
    for (algorithm, wrapped_len) in [(0x02, 256), (0x03, 512)] {
        let before = with_slots(&file, |slots| {
            slots.insert(0, unknown(algorithm, wrapped_len))
        });
        opens_to(&key, &before, &data);
        let after = with_slots(&file, |slots| slots.push(unknown(algorithm, wrapped_len)));
        opens_to(&key, &after, &data);
    }
}

/// A slot naming the key that holds garbage, or a real wrapping of another input key, in
/// front of the good one: today's reader must not stop at the first.
fn every_slot_naming_the_key_is_tried<C: Crypto>() {
    let key = test_key::<C>(2048);
    let data = plaintext(20_000);
    let file = seal(&[&key], &data);
    let other = seal(&[&key], &data);
    let garbage = KeySlot {
        fingerprint: key.fingerprint(),
        algorithm: SlotAlgorithm::RsaOaepSha256,
        wrapped_key: vec![0x11; 256],
    };
    let wrong_input_key = SealedHeader::parse(&other).expect("parses").header.slots[0].clone();
    for bogus in [garbage, wrong_input_key.clone()] {
        let file = with_slots(&file, |slots| slots.insert(0, bogus.clone()));
        opens_to(&key, &file, &data);
    }
    // When every slot fails, whichever way, it is the one decryption error.
    let all_bogus = with_slots(&file, |slots| {
        slots[0] = wrong_input_key.clone();
        slots.push(KeySlot {
            wrapped_key: vec![0x22; 256],
            ..wrong_input_key.clone()
        });
    });
    assert!(matches!(
        sealed::open(&key, all_bogus.as_slice(), &mut Vec::new()),
        Err(OpenError::Decrypt(_))
    ));
}

fn no_usable_slot_is_said_clearly<C: Crypto>() {
    let key = test_key::<C>(2048);
    let stranger = test_key::<C>(3072);
    let file = seal(&[&key], &plaintext(100));

    // The key's own slot is of an algorithm this version does not know.
    let unknown_for_key = with_slots(&file, |slots| {
        slots[0].algorithm = SlotAlgorithm::Unknown(0x02);
    });
    let error = sealed::open(&key, unknown_for_key.as_slice(), &mut Vec::new())
        .expect_err("nothing to open with");
    assert!(
        matches!(&error, OpenError::UnknownSlotAlgorithm { given, algorithms }
            if *given == key.fingerprint() && *algorithms == [SlotAlgorithm::Unknown(2)]),
        "{error:?}"
    );
    assert!(error.to_string().contains("0x02"), "{error}");
    assert!(error.to_string().contains("newer callvault"), "{error}");

    // No slot of any known algorithm: a distinct error for any key.
    let only_unknown = with_slots(&file, |slots| {
        slots[0].algorithm = SlotAlgorithm::Unknown(0x03);
        slots.push(unknown(0x02, 512));
    });
    for key in [&key, &stranger] {
        let error = sealed::open(key, only_unknown.as_slice(), &mut Vec::new())
            .expect_err("nothing to open with");
        assert!(
            matches!(
                &error,
                OpenError::UnknownSlotAlgorithm { .. } | OpenError::NoUsableSlot { .. }
            ),
            "{error:?}"
        );
    }
    let error = sealed::open(&stranger, only_unknown.as_slice(), &mut Vec::new())
        .expect_err("nothing to open with");
    assert!(
        error.to_string().starts_with(
            "none of this recording's key slots uses an algorithm this callvault knows"
        ),
        "{error}"
    );

    // A known slot for another key, and an unknown one: not for this key, as before.
    let mixed = with_slots(&file, |slots| slots.push(unknown(0x02, 256)));
    assert!(matches!(
        sealed::open(&stranger, mixed.as_slice(), &mut Vec::new()),
        Err(OpenError::NotForThisKey { sealed_for, .. })
            if sealed_for == [key.fingerprint(), Fingerprint([0xab; 32])]
    ));
}

fn rewrap_keeps_unknown_slots_and_drops_failed_duplicates<C: Crypto>() {
    let key = test_key::<C>(2048);
    let new = test_key::<C>(3072);
    let data = plaintext(20_000);
    let file = seal(&[&key], &data);
    let bogus = KeySlot {
        fingerprint: key.fingerprint(),
        algorithm: SlotAlgorithm::RsaOaepSha256,
        wrapped_key: vec![0x11; 256],
    };
    let file = with_slots(&file, |slots| {
        slots.insert(0, bogus.clone());
        slots.push(unknown(0x02, 256));
    });
    let (parsed, chunk_header) = read_header(&mut file.as_slice()).expect("header");
    let old_len = parsed.len;
    let original = parsed.header.slots.clone();

    let kept = sealed::rewrap(
        parsed.clone(),
        &chunk_header,
        &key,
        &[new.public_key()],
        true,
    )
    .expect("rewraps");
    let slots = SealedHeader::parse(&kept).expect("parses").header.slots;
    assert_eq!(
        slots
            .iter()
            .map(|slot| (slot.fingerprint, slot.algorithm))
            .collect::<Vec<_>>(),
        [
            (key.fingerprint(), SlotAlgorithm::RsaOaepSha256),
            (Fingerprint([0xab; 32]), SlotAlgorithm::Unknown(2)),
            (new.fingerprint(), SlotAlgorithm::RsaOaepSha256),
        ]
    );
    assert_eq!(slots[0], original[1], "the slot that opened, as it was");
    assert_eq!(slots[1], original[2], "the unknown slot, byte for byte");
    let rewrapped = [kept.as_slice(), &file[old_len..]].concat();
    opens_to(&key, &rewrapped, &data);
    opens_to(&new, &rewrapped, &data);

    let replaced =
        sealed::rewrap(parsed, &chunk_header, &key, &[new.public_key()], false).expect("rewraps");
    let slots = SealedHeader::parse(&replaced).expect("parses").header.slots;
    assert_eq!(
        slots.len(),
        1,
        "without keep_existing, unknown slots go too"
    );
    assert_eq!(slots[0].fingerprint, new.fingerprint());
}

for_both_implementations!(
    unknown_slots_before_or_after_are_skipped,
    every_slot_naming_the_key_is_tried,
    no_usable_slot_is_said_clearly,
    rewrap_keeps_unknown_slots_and_drops_failed_duplicates,
);
