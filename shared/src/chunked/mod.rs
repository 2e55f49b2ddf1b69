//! c2sp.org/chunked-encryption, instantiated with AES-256-GCM and HKDF-SHA-512 (the
//! "Cobblestone-256" of the Wycheproof vectors).
//!
//! A message is encrypted as a 24-byte salt, a 32-byte key commitment, then chunks of 16 KiB of
//! plaintext each sealed with AES-256-GCM under the nonce `base nonce XOR chunk number`. The
//! final chunk is always shorter than 16 KiB (possibly empty), which marks the end: a truncated,
//! extended or reordered message fails to authenticate.
//!
//! [`ChunkEncryptor`] and [`ChunkDecryptor`] do the work without doing I/O; [`EncryptWriter`]
//! and [`DecryptReader`] stream through `std::io`, and [`RandomAccess`] opens single chunks of a
//! source that serves byte ranges, synchronously or not.

mod decrypt;
mod encrypt;
mod keys;
mod random_access;

pub use decrypt::{ChunkDecryptor, DecryptReader};
pub use encrypt::{ChunkEncryptor, EncryptWriter};
pub use keys::ChunkKeys;
pub use random_access::{RandomAccess, RangeSource};

use crate::crypto::GCM_TAG_LEN;

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 16 * 1024;
/// Ciphertext bytes per full chunk: the plaintext and its GCM tag.
pub const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + GCM_TAG_LEN;
pub const SALT_LEN: usize = 24;
pub const COMMITMENT_LEN: usize = 32;
/// The salt and the commitment, in front of the first chunk.
pub const HEADER_LEN: usize = SALT_LEN + COMMITMENT_LEN;
/// The specification's upper bound on the chunk counter (4 PiB of plaintext).
pub const MAX_CHUNKS: u64 = 1 << 38;

/// The plaintext length of a message whose ciphertext (header included) is `ciphertext_len`
/// bytes, or `None` when no message encrypts to that length.
pub fn plaintext_len(ciphertext_len: u64) -> Option<u64> {
    let body = ciphertext_len.checked_sub(HEADER_LEN as u64)?;
    let full_chunks = body / ENCRYPTED_CHUNK_SIZE as u64;
    let rest = body % ENCRYPTED_CHUNK_SIZE as u64;
    if rest < GCM_TAG_LEN as u64 || full_chunks >= MAX_CHUNKS {
        return None;
    }
    Some(full_chunks * CHUNK_SIZE as u64 + rest - GCM_TAG_LEN as u64)
}

/// The ciphertext length (header included) of a message of `plaintext_len` bytes.
pub fn ciphertext_len(plaintext_len: u64) -> u64 {
    let full_chunks = plaintext_len / CHUNK_SIZE as u64;
    let rest = plaintext_len % CHUNK_SIZE as u64;
    HEADER_LEN as u64 + full_chunks * ENCRYPTED_CHUNK_SIZE as u64 + rest + GCM_TAG_LEN as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_map_both_ways_and_impossible_lengths_are_refused() {
        for plaintext in [0u64, 1, 16383, 16384, 16385, 3 * 16384, 10_000_000] {
            assert_eq!(
                plaintext_len(ciphertext_len(plaintext)),
                Some(plaintext),
                "{plaintext}"
            );
        }
        assert_eq!(ciphertext_len(0), 72);
        assert_eq!(ciphertext_len(16384), 56 + 16400 + 16);
        assert_eq!(plaintext_len(55), None);
        assert_eq!(plaintext_len(56 + 15), None);
        // A full chunk and nothing after it is a truncated message.
        assert_eq!(plaintext_len(56 + 16400), None);
        assert_eq!(plaintext_len(56 + 16400 + 15), None);
    }
}
