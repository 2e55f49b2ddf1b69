//! Any bytes at all, parsed as a sealed recording and opened with the key the seed corpus was
//! sealed for: nothing may panic, and whatever opens must have the length the file implies.
#![no_main]

use std::sync::LazyLock;

use callvault_shared::chunked;
use callvault_shared::crypto::AwsLc;
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use callvault_shared::sealed::{self, SealedHeader, open_random_access};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<RsaPrivateKey<AwsLc>> = LazyLock::new(|| {
    match import_key::<AwsLc>(include_bytes!("../../shared/tests/vectors/sealed/key.pem"), None) {
        Ok(KeyFile::Private(key)) => key,
        _ => panic!("the vector key loads"),
    }
});

fuzz_target!(|data: &[u8]| {
    let parsed = SealedHeader::parse(data);

    let mut plaintext = Vec::new();
    if sealed::open(&*KEY, data, &mut plaintext).is_ok() {
        let header_len = parsed.as_ref().map(|p| p.len).expect("an opened file has a header");
        let expected = chunked::plaintext_len((data.len() - header_len) as u64);
        assert_eq!(expected, Some(plaintext.len() as u64));
    }

    if let Ok((_, access)) = open_random_access(&*KEY, data, data.len() as u64) {
        for index in 0..=access.last_chunk() {
            let _ = access.read_chunk(data, index);
        }
    }
});
