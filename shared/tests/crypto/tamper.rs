//! Every way of damaging a sealed file is caught.

use std::io::Read;

use callvault_shared::chunked::{
    self, CHUNK_SIZE, ChunkDecryptor, ChunkKeys, ENCRYPTED_CHUNK_SIZE,
};
use callvault_shared::crypto::Crypto;
use callvault_shared::keys::RsaPrivateKey;
use callvault_shared::sealed::{self, SealedHeader, read_header};

use crate::support::{plaintext, test_key};

fn seal<C: Crypto>(key: &RsaPrivateKey<C>, data: &[u8], id: u8) -> Vec<u8> {
    let mut sealed = Vec::new();
    sealed::seal(
        [id; 16],
        "audio/mpeg",
        &[key.public_key()],
        data,
        &mut sealed,
    )
    .expect("seals");
    sealed
}

fn opens<C: Crypto>(key: &RsaPrivateKey<C>, file: &[u8]) -> bool {
    sealed::open(key, file, &mut Vec::new()).is_ok()
}

/// Every bit of the header goes through the whole open; every bit of the payload through the
/// payload's own open (the RSA unwrap, identical each time, is done once), which keeps this
/// test seconds long.
fn every_single_bit_flip_is_rejected<C: Crypto>() {
    let key = test_key::<C>(2048);
    // Small: every bit of it is tried.
    let file = seal(&key, &plaintext(1000), 1);
    let parsed = SealedHeader::parse(&file).expect("parses");
    let header_len = parsed.len;

    for bit in 0..header_len * 8 {
        let mut damaged = file.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(
            !opens(&key, &damaged),
            "flipping header bit {bit} went unnoticed"
        );
    }

    let slot = parsed.header.slot_for(key.fingerprint()).expect("slot");
    let input_key = key.unwrap(&slot.wrapped_key).expect("unwraps");
    let context = parsed.header.bound_bytes();
    let payload = &file[header_len..];
    for bit in 0..payload.len() * 8 {
        let mut damaged = payload.to_vec();
        damaged[bit / 8] ^= 1 << (bit % 8);
        let chunk_header: [u8; chunked::HEADER_LEN] =
            damaged[..chunked::HEADER_LEN].try_into().expect("56 bytes");
        let Ok(keys) = ChunkKeys::<C>::for_decryption(input_key.expose(), &chunk_header, &context)
        else {
            continue;
        };
        let mut decryptor = ChunkDecryptor::new(keys);
        let mut out = Vec::new();
        let result = decryptor
            .update(&damaged[chunked::HEADER_LEN..], &mut out)
            .and_then(|()| decryptor.finish(&mut out));
        assert!(result.is_err(), "flipping payload bit {bit} went unnoticed");
    }
}

fn truncation_at_every_chunk_boundary_is_rejected<C: Crypto>() {
    let key = test_key::<C>(2048);
    let file = seal(&key, &plaintext(4 * CHUNK_SIZE + 100), 2);
    let header_len = SealedHeader::parse(&file).expect("parses").len;
    let first_chunk = header_len + chunked::HEADER_LEN;
    for chunks in 0..=4 {
        let boundary = first_chunk + chunks * ENCRYPTED_CHUNK_SIZE;
        for cut in [
            boundary,
            boundary + 1,
            boundary + 16,
            boundary.saturating_sub(1),
        ] {
            if cut < file.len() {
                assert!(!opens(&key, &file[..cut]), "cut at {cut} of {}", file.len());
            }
        }
    }
    for cut in 0..first_chunk {
        assert!(!opens(&key, &file[..cut]), "cut inside the header at {cut}");
    }
}

fn appended_bytes_are_rejected<C: Crypto>() {
    let key = test_key::<C>(2048);
    let file = seal(&key, &plaintext(CHUNK_SIZE * 2), 3);
    for extra in [
        &b"\0"[..],
        b"trailing garbage",
        &[0u8; 16],
        &[0u8; ENCRYPTED_CHUNK_SIZE],
    ] {
        let extended = [file.as_slice(), extra].concat();
        assert!(!opens(&key, &extended), "{} bytes appended", extra.len());
    }
}

fn chunks_swapped_between_files_are_rejected<C: Crypto>() {
    let key = test_key::<C>(2048);
    let data = plaintext(3 * CHUNK_SIZE + 7);
    let first = seal(&key, &data, 4);
    let second = seal(&key, &data, 4);
    let header_len = SealedHeader::parse(&first).expect("parses").len;
    let chunk = header_len + chunked::HEADER_LEN + ENCRYPTED_CHUNK_SIZE;
    let mut mixed = first.clone();
    mixed[chunk..chunk + ENCRYPTED_CHUNK_SIZE]
        .copy_from_slice(&second[chunk..chunk + ENCRYPTED_CHUNK_SIZE]);
    assert!(!opens(&key, &mixed));
    // And two chunks of one file in the wrong order.
    let mut reordered = first.clone();
    let next = chunk + ENCRYPTED_CHUNK_SIZE;
    reordered[chunk..next].copy_from_slice(&first[next..next + ENCRYPTED_CHUNK_SIZE]);
    reordered[next..next + ENCRYPTED_CHUNK_SIZE].copy_from_slice(&first[chunk..next]);
    assert!(!opens(&key, &reordered));
}

fn key_slots_swapped_between_files_are_rejected<C: Crypto>() {
    let key = test_key::<C>(2048);
    let first = seal(&key, &plaintext(5000), 5);
    let second = seal(&key, &plaintext(5000), 5);
    // Same id, same type, same key: the headers have the same length; only the slots differ.
    let first_len = SealedHeader::parse(&first).expect("parses").len;
    assert_eq!(first_len, SealedHeader::parse(&second).expect("parses").len);
    let forged = [&second[..first_len], &first[first_len..]].concat();
    assert!(
        !opens(&key, &forged),
        "a slot from another file must fail the commitment"
    );
}

fn a_stream_meeting_a_bad_chunk_ends_in_an_error_not_eof<C: Crypto>() {
    let key = test_key::<C>(2048);
    let mut file = seal(&key, &plaintext(3 * CHUNK_SIZE), 6);
    let last = file.len() - 1;
    file[last - 20] ^= 0x40;
    let (parsed, chunk_header) = read_header(&mut file.as_slice()).expect("header");
    let opened = sealed::open_payload(parsed, &chunk_header, &key).expect("header opens");
    let body = &file[opened.payload_offset as usize + chunked::HEADER_LEN..];
    let mut reader = chunked::DecryptReader::new(ChunkDecryptor::new(opened.keys), body);
    let mut out = Vec::new();
    let error = reader.read_to_end(&mut out).expect_err("must fail");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert!(out.len() <= 3 * CHUNK_SIZE);
    assert!(
        reader.read(&mut [0u8; 8]).is_err(),
        "keeps failing, never a clean end of file"
    );
}

for_both_implementations!(
    every_single_bit_flip_is_rejected,
    truncation_at_every_chunk_boundary_is_rejected,
    appended_bytes_are_rejected,
    chunks_swapped_between_files_are_rejected,
    key_slots_swapped_between_files_are_rejected,
    a_stream_meeting_a_bad_chunk_ends_in_an_error_not_eof,
);
