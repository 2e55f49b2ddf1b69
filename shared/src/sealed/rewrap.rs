use super::open::open_payload;
use super::{KeySlot, OpenError, ParsedHeader, SealedHeader, SlotAlgorithm};
use crate::chunked;
use crate::crypto::Crypto;
use crate::keys::{RsaPrivateKey, RsaPublicKey};

/// The header of a sealed file re-keyed for `recipients`, the payload untouched: the input key
/// comes from the slot that `key` opens, checked against the payload's commitment first, so
/// that a forged slot is never passed on. With `keep_existing`, the other slots stay.
///
/// What stays with `keep_existing`:
/// - slots of algorithms this version does not know stay byte for byte: the input key does not
///   change, so a slot a newer callvault wrote still opens for its key, and dropping it here
///   would lock that key out without anyone asking for it;
/// - of the slots naming `key` that this version can use, only the one that opened stays (the
///   others gave no committed key or were never needed);
/// - each recipient's slot is written anew, replacing its usable slots (not its unknown ones).
///
/// Without `keep_existing` every old slot goes, unknown ones included: the file is then for
/// `recipients` only.
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
        opened
            .header
            .slots
            .iter()
            .enumerate()
            .filter(|(index, slot)| {
                *index == opened.slot_index
                    || slot.fingerprint != key.fingerprint()
                    || !slot.algorithm.is_known()
            })
            .map(|(_, slot)| slot.clone())
            .collect()
    } else {
        Vec::new()
    };
    for recipient in recipients {
        slots.retain(|slot| {
            slot.fingerprint != recipient.fingerprint() || !slot.algorithm.is_known()
        });
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
