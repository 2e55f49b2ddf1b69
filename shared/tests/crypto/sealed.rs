//! Sealing and opening whole recordings: round trips at the sizes that matter, whole and by
//! random ranges, and rewrapping.

use callvault_shared::chunked::CHUNK_SIZE;
use callvault_shared::crypto::Crypto;
use callvault_shared::sealed::{self, OpenError, SealedHeader, open_random_access, read_header};
use proptest::prelude::*;

use crate::support::{plaintext, test_key};

const ID: [u8; 16] = *b"recording-0001!!";

fn seal_bytes<C: Crypto>(key: &callvault_shared::keys::RsaPrivateKey<C>, data: &[u8]) -> Vec<u8> {
    let mut sealed = Vec::new();
    let summary =
        sealed::seal(ID, "audio/wav", &[key.public_key()], data, &mut sealed).expect("seals");
    assert_eq!(summary.plaintext_len, data.len() as u64);
    sealed
}

fn round_trips_at_boundary_sizes<C: Crypto>() {
    let key = test_key::<C>(2048);
    for len in [
        0,
        1,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        3 * 1024 * 1024 + 7,
    ] {
        let data = plaintext(len);
        let sealed = seal_bytes(&key, &data);
        let mut opened = Vec::new();
        let summary = sealed::open(&key, sealed.as_slice(), &mut opened).expect("opens");
        assert_eq!(opened, data, "{len} bytes");
        assert_eq!(summary.header.content_type, "audio/wav");
        assert_eq!(summary.header.recording_id, ID);

        let (_, access) =
            open_random_access(&key, sealed.as_slice(), sealed.len() as u64).expect("opens");
        assert_eq!(access.plaintext_len(), len as u64);
        access
            .verify_length(sealed.as_slice())
            .expect("length authenticates");
        let whole = access
            .read_range(sealed.as_slice(), 0..len as u64)
            .expect("reads");
        assert_eq!(whole, data, "{len} bytes by random access");
    }
}

fn random_ranges_read_only_what_they_cover<C: Crypto>() {
    let key = test_key::<C>(2048);
    let data = plaintext(5 * CHUNK_SIZE + 1234);
    let sealed = seal_bytes(&key, &data);
    let (_, access) =
        open_random_access(&key, sealed.as_slice(), sealed.len() as u64).expect("opens");
    let len = data.len() as u64;
    proptest!(ProptestConfig::with_cases(200), |(start in 0..=len, span in 0..=3 * CHUNK_SIZE as u64)| {
        let end = (start + span).min(len);
        let got = access.read_range(sealed.as_slice(), start..end).expect("reads");
        prop_assert_eq!(&got[..], &data[start as usize..end as usize]);
        let chunks = access.chunks_covering(&(start..end));
        prop_assert!(chunks.end - chunks.start <= span.div_ceil(CHUNK_SIZE as u64) + 1);
    });
}

fn a_file_for_several_keys_opens_with_each<C: Crypto>() {
    let first = test_key::<C>(2048);
    let second = test_key::<C>(3072);
    let data = plaintext(40_000);
    let mut sealed = Vec::new();
    sealed::seal(
        ID,
        "audio/ogg",
        &[first.public_key(), second.public_key()],
        data.as_slice(),
        &mut sealed,
    )
    .expect("seals");
    for key in [&first, &second] {
        let mut opened = Vec::new();
        sealed::open(key, sealed.as_slice(), &mut opened).expect("opens");
        assert_eq!(opened, data);
    }
}

fn a_stranger_key_is_told_which_keys_would_do<C: Crypto>() {
    let owner = test_key::<C>(2048);
    let stranger = test_key::<C>(4096);
    let sealed = seal_bytes(&owner, b"hello");
    match sealed::open(&stranger, sealed.as_slice(), &mut Vec::new()) {
        Err(OpenError::NotForThisKey { sealed_for, given }) => {
            assert_eq!(sealed_for, vec![owner.fingerprint()]);
            assert_eq!(given, stranger.fingerprint());
        }
        other => panic!("expected NotForThisKey, got {other:?}"),
    }
}

fn rewrap_changes_the_header_only<C: Crypto>() {
    let old = test_key::<C>(2048);
    let new = test_key::<C>(3072);
    let data = plaintext(3 * CHUNK_SIZE + 5);
    let sealed = seal_bytes(&old, &data);
    let (parsed, chunk_header) = read_header(&mut sealed.as_slice()).expect("header");
    let old_len = parsed.len;

    let header =
        sealed::rewrap(parsed, &chunk_header, &old, &[new.public_key()], false).expect("rewraps");
    let rewrapped = [header.as_slice(), &sealed[old_len..]].concat();
    assert_eq!(
        &rewrapped[header.len()..],
        &sealed[old_len..],
        "payload untouched"
    );

    let mut opened = Vec::new();
    sealed::open(&new, rewrapped.as_slice(), &mut opened).expect("the new key opens it");
    assert_eq!(opened, data);
    assert!(matches!(
        sealed::open(&old, rewrapped.as_slice(), &mut Vec::new()),
        Err(OpenError::NotForThisKey { .. })
    ));

    // Adding keeps the old slot.
    let (parsed, chunk_header) = read_header(&mut sealed.as_slice()).expect("header");
    let header =
        sealed::rewrap(parsed, &chunk_header, &old, &[new.public_key()], true).expect("rewraps");
    let both = SealedHeader::parse(&header).expect("parses").header;
    assert_eq!(both.slots.len(), 2);
}

fn generated_keys_seal_and_open<C: Crypto>() {
    let key = callvault_shared::keys::RsaPrivateKey::<C>::generate(
        callvault_shared::crypto::RsaBits::Rsa2048,
    )
    .expect("generates");
    assert_eq!(key.public_key().bits().bits(), 2048);
    let data = plaintext(1000);
    let sealed = seal_bytes(&key, &data);
    let mut opened = Vec::new();
    sealed::open(&key, sealed.as_slice(), &mut opened).expect("opens");
    assert_eq!(opened, data);
}

for_both_implementations!(
    round_trips_at_boundary_sizes,
    random_ranges_read_only_what_they_cover,
    a_file_for_several_keys_opens_with_each,
    a_stranger_key_is_told_which_keys_would_do,
    rewrap_changes_the_header_only,
    generated_keys_seal_and_open,
);

#[test]
fn the_plaintext_hash_is_computed_when_asked_for() {
    use sha2::{Digest, Sha256};
    let key = test_key::<callvault_shared::crypto::AwsLc>(2048);
    let data = plaintext(50_000);
    let (sealer, _) = sealed::Sealer::new(ID, "audio/wav", &[key.public_key()]).expect("sealer");
    let mut sealer = sealer.hashing_plaintext();
    let mut out = Vec::new();
    sealer.update(&data, &mut out).expect("seals");
    let summary = sealer.finish(&mut out).expect("seals");
    assert_eq!(
        summary.plaintext_sha256,
        Some(<[u8; 32]>::from(Sha256::digest(&data)))
    );
    let plain = seal_bytes(&key, b"no hash");
    assert!(!plain.is_empty());
}
