use super::open::open_payload;
use super::{KeySlot, OpenError, ParsedHeader, SealedHeader, SlotAlgorithm};
use crate::chunked;
use crate::crypto::Crypto;
use crate::keys::{RsaPrivateKey, RsaPublicKey};

/// The header of a sealed file re-keyed for `recipients`, the payload untouched: the input key
/// comes from the slot that `key` opens, checked against the payload's commitment first, so
/// that a forged slot is never passed on. With `keep_existing`, the other slots stay.
///
/// The caller replaces the file's first `parsed.len` bytes with the result.
pub fn rewrap<C: Crypto>(
    parsed: ParsedHeader,
    chunk_header: &[u8; chunked::HEADER_LEN],
    key: &RsaPrivateKey<C>,
    recipients: &[&RsaPublicKey<C>],
    keep_existing: bool,
) -> Result<Vec<u8>, OpenError> {
    let opened = open_payload(parsed, chunk_header, key)?;
    let mut slots: Vec<KeySlot> = if keep_existing {
        opened.header.slots.clone()
    } else {
        Vec::new()
    };
    for recipient in recipients {
        slots.retain(|slot| slot.fingerprint != recipient.fingerprint());
        slots.push(KeySlot {
            fingerprint: recipient.fingerprint(),
            algorithm: SlotAlgorithm::RsaOaepSha256,
            wrapped_key: recipient
                .wrap(opened.input_key.as_ref())
                .map_err(|_| crate::crypto::DecryptError)?,
        });
    }
    let header = SealedHeader {
        slots,
        ..opened.header
    };
    Ok(header.encode()?)
}
