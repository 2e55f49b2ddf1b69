//! The crypto core's tests, in one binary. Every check runs against both implementations
//! (`rust_crypto::…` and `aws_lc::…` in the test names), and the cross tests seal with one and
//! open with the other.

/// Instantiates generic test functions `fn name<C: Crypto>()` once per implementation.
macro_rules! for_both_implementations {
    ($($name:ident),* $(,)?) => {
        mod rust_crypto {
            $( #[test] fn $name() { super::$name::<callvault_shared::crypto::RustCrypto>() } )*
        }
        mod aws_lc {
            $( #[test] fn $name() { super::$name::<callvault_shared::crypto::AwsLc>() } )*
        }
    };
}

mod cross;
mod key_chain;
mod keys;
mod sealed;
mod slots;
mod stored_secrets;
mod support;
mod tamper;
mod vector_file;
mod wycheproof_aes_gcm;
mod wycheproof_chunked;
mod wycheproof_hkdf;
mod wycheproof_rsa_oaep;
