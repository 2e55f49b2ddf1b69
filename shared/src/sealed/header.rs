use crate::keys::Fingerprint;

use super::{MAGIC, MAX_CONTENT_TYPE_LEN, MAX_SLOTS, MAX_WRAPPED_KEY_LEN, VERSION};

/// The algorithm byte of an RSA-OAEP-SHA-256 slot.
const RSA_OAEP_SHA256: u8 = 0x01;

/// How a key slot wraps the recording's input key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotAlgorithm {
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label.
    RsaOaepSha256,
    /// An algorithm this version does not know (a later one added it: adding a slot algorithm
    /// is not a new format version). Such a slot is kept, byte for byte, so that `inspect` can
    /// show it and a rewrap that keeps the existing slots passes it on; it is never used to
    /// open. Never holds a byte this version knows.
    Unknown(u8),
}

impl SlotAlgorithm {
    pub fn from_byte(byte: u8) -> Self {
        match byte {
            RSA_OAEP_SHA256 => SlotAlgorithm::RsaOaepSha256,
            other => SlotAlgorithm::Unknown(other),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            SlotAlgorithm::RsaOaepSha256 => RSA_OAEP_SHA256,
            SlotAlgorithm::Unknown(byte) => byte,
        }
    }

    /// Whether this version can unwrap a slot of this algorithm.
    pub fn is_known(self) -> bool {
        !matches!(self, SlotAlgorithm::Unknown(_))
    }
}

impl std::fmt::Display for SlotAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlotAlgorithm::RsaOaepSha256 => f.write_str("RSA-OAEP-SHA-256"),
            SlotAlgorithm::Unknown(byte) => write!(f, "unknown algorithm 0x{byte:02x}"),
        }
    }
}

/// The recording's input key, wrapped for one encryption key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySlot {
    pub fingerprint: Fingerprint,
    pub algorithm: SlotAlgorithm,
    pub wrapped_key: Vec<u8>,
}

/// Everything before the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedHeader {
    pub recording_id: [u8; 16],
    pub content_type: String,
    pub slots: Vec<KeySlot>,
}

/// A parsed header and where the payload starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHeader {
    pub header: SealedHeader,
    /// Length of the header: the payload (its salt) starts at this offset.
    pub len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("not a sealed callvault recording")]
    NotSealed,
    #[error("sealed with format version {0}, which this callvault does not know; upgrade it")]
    UnsupportedVersion(u8),
    #[error("malformed header: {0}")]
    Malformed(&'static str),
    /// Not an error of the file: the reader must supply at least this many bytes.
    #[error("the header needs {0} bytes")]
    Incomplete(usize),
}

impl SealedHeader {
    /// The immutable part, which is also the chunked-encryption context: changing any of it
    /// makes the payload undecryptable.
    pub fn bound_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(26 + self.content_type.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.recording_id);
        bytes.push(self.content_type.len() as u8);
        bytes.extend_from_slice(self.content_type.as_bytes());
        bytes
    }

    pub fn encode(&self) -> Result<Vec<u8>, HeaderError> {
        self.validate()?;
        let mut bytes = self.bound_bytes();
        let section_len: usize = 1 + self
            .slots
            .iter()
            .map(|slot| 35 + slot.wrapped_key.len())
            .sum::<usize>();
        bytes.extend_from_slice(&(section_len as u16).to_be_bytes());
        bytes.push(self.slots.len() as u8);
        for slot in &self.slots {
            bytes.extend_from_slice(&slot.fingerprint.0);
            bytes.push(slot.algorithm.to_byte());
            bytes.extend_from_slice(&(slot.wrapped_key.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&slot.wrapped_key);
        }
        Ok(bytes)
    }

    fn validate(&self) -> Result<(), HeaderError> {
        if !is_content_type(self.content_type.as_bytes()) {
            return Err(HeaderError::Malformed("content type"));
        }
        if self.slots.is_empty() || self.slots.len() > MAX_SLOTS {
            return Err(HeaderError::Malformed("a file has 1 to 16 key slots"));
        }
        if self
            .slots
            .iter()
            .any(|slot| slot.wrapped_key.is_empty() || slot.wrapped_key.len() > MAX_WRAPPED_KEY_LEN)
        {
            return Err(HeaderError::Malformed("wrapped key length"));
        }
        // `Unknown(0x01)` would be written as, and read back as, an RSA-OAEP slot.
        if self
            .slots
            .iter()
            .any(|slot| slot.algorithm != SlotAlgorithm::from_byte(slot.algorithm.to_byte()))
        {
            return Err(HeaderError::Malformed("key slot algorithm"));
        }
        Ok(())
    }

    /// Parses the header at the start of a sealed file's first bytes and takes the chunked
    /// payload's own header that follows it: what opening needs, read from one range. A head
    /// that ends before both is malformed ("truncated").
    pub fn parse_with_payload_header(
        head: &[u8],
    ) -> Result<(ParsedHeader, [u8; crate::chunked::HEADER_LEN]), HeaderError> {
        let parsed = Self::parse(head).map_err(|error| match error {
            HeaderError::Incomplete(_) => HeaderError::Malformed("truncated header"),
            other => other,
        })?;
        let payload_header = head
            .get(parsed.len..parsed.len + crate::chunked::HEADER_LEN)
            .and_then(|slice| slice.try_into().ok())
            .ok_or(HeaderError::Malformed("truncated header"))?;
        Ok((parsed, payload_header))
    }

    /// Parses a header from the start of `bytes`, which may run on into the payload.
    pub fn parse(bytes: &[u8]) -> Result<ParsedHeader, HeaderError> {
        let mut reader = Reader { bytes, position: 0 };
        let magic = reader.take(MAGIC.len())?;
        if magic != MAGIC {
            return Err(HeaderError::NotSealed);
        }
        let version = reader.byte()?;
        if version != VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let recording_id: [u8; 16] = reader
            .take(16)?
            .try_into()
            .map_err(|_| HeaderError::Malformed("id"))?;
        let content_type_len = usize::from(reader.byte()?);
        let content_type = reader.take(content_type_len)?;
        if !is_content_type(content_type) {
            return Err(HeaderError::Malformed("content type"));
        }
        let content_type = String::from_utf8(content_type.to_vec())
            .map_err(|_| HeaderError::Malformed("content type"))?;

        let section_len = usize::from(reader.u16()?);
        let section_end = reader.position + section_len;
        let count = usize::from(reader.byte()?);
        if count == 0 || count > MAX_SLOTS {
            return Err(HeaderError::Malformed("a file has 1 to 16 key slots"));
        }
        let mut slots = Vec::with_capacity(count);
        for _ in 0..count {
            let fingerprint = Fingerprint(
                reader
                    .take(32)?
                    .try_into()
                    .map_err(|_| HeaderError::Malformed("fingerprint"))?,
            );
            // An unknown algorithm is skipped when opening, not refused here: the slot's
            // length field still says where the next slot starts.
            let algorithm = SlotAlgorithm::from_byte(reader.byte()?);
            let wrapped_len = usize::from(reader.u16()?);
            if wrapped_len == 0 || wrapped_len > MAX_WRAPPED_KEY_LEN {
                return Err(HeaderError::Malformed("wrapped key length"));
            }
            let wrapped_key = reader.take(wrapped_len)?.to_vec();
            slots.push(KeySlot {
                fingerprint,
                algorithm,
                wrapped_key,
            });
        }
        if reader.position != section_end {
            return Err(HeaderError::Malformed("slot section length"));
        }
        Ok(ParsedHeader {
            header: SealedHeader {
                recording_id,
                content_type,
                slots,
            },
            len: reader.position,
        })
    }

    /// The first slot that names `fingerprint`, whatever its algorithm: whether the file
    /// is sealed for that key at all.
    pub fn slot_for(&self, fingerprint: Fingerprint) -> Option<&KeySlot> {
        self.slots
            .iter()
            .find(|slot| slot.fingerprint == fingerprint)
    }

    /// Every slot that names `fingerprint` with an algorithm this version can unwrap, in file
    /// order. Opening tries each: a bogus slot in front of a good one must not hide it.
    pub fn usable_slots_for(&self, fingerprint: Fingerprint) -> impl Iterator<Item = &KeySlot> {
        self.slots
            .iter()
            .filter(move |slot| slot.fingerprint == fingerprint && slot.algorithm.is_known())
    }
}

/// `type/subtype` plus parameters, in printable ASCII: what a Content-Type header may carry.
fn is_content_type(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= MAX_CONTENT_TYPE_LEN
        && bytes.iter().all(|byte| (0x20..0x7f).contains(byte))
        && bytes.contains(&b'/')
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], HeaderError> {
        let end = self.position + len;
        let taken = self
            .bytes
            .get(self.position..end)
            .ok_or(HeaderError::Incomplete(end))?;
        self.position = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, HeaderError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, HeaderError> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SealedHeader {
        SealedHeader {
            recording_id: [7; 16],
            content_type: "audio/wav".into(),
            slots: vec![
                KeySlot {
                    fingerprint: Fingerprint([1; 32]),
                    algorithm: SlotAlgorithm::RsaOaepSha256,
                    wrapped_key: vec![9; 384],
                },
                KeySlot {
                    fingerprint: Fingerprint([2; 32]),
                    algorithm: SlotAlgorithm::RsaOaepSha256,
                    wrapped_key: vec![8; 256],
                },
            ],
        }
    }

    #[test]
    fn encode_then_parse_gives_the_header_back_and_its_length() {
        let mut bytes = header().encode().expect("encodes");
        let len = bytes.len();
        bytes.extend_from_slice(b"payload follows");
        let parsed = SealedHeader::parse(&bytes).expect("parses");
        assert_eq!(parsed.header, header());
        assert_eq!(parsed.len, len);
    }

    #[test]
    fn every_prefix_asks_for_more_bytes_and_never_panics() {
        let bytes = header().encode().expect("encodes");
        for cut in 0..bytes.len() {
            match SealedHeader::parse(&bytes[..cut]) {
                Err(HeaderError::Incomplete(needed)) => assert!(needed > cut),
                other => panic!("prefix of {cut} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn slots_of_unknown_algorithms_are_kept_not_refused() {
        for (algorithm, wrapped_len) in [(0x02, 256), (0x03, MAX_WRAPPED_KEY_LEN), (0x00, 1)] {
            for position in [0, 2] {
                let mut header = header();
                header.slots.insert(
                    position,
                    KeySlot {
                        fingerprint: Fingerprint([3; 32]),
                        algorithm: SlotAlgorithm::Unknown(algorithm),
                        wrapped_key: vec![5; wrapped_len],
                    },
                );
                let bytes = header.encode().expect("encodes");
                let parsed = SealedHeader::parse(&bytes).expect("parses");
                assert_eq!(parsed.header, header);
                assert_eq!(parsed.len, bytes.len());
                assert_eq!(
                    parsed.header.usable_slots_for(Fingerprint([3; 32])).count(),
                    0
                );
            }
        }
    }

    #[test]
    fn a_known_algorithm_cannot_be_written_as_unknown() {
        let mut header = header();
        header.slots[0].algorithm = SlotAlgorithm::Unknown(0x01);
        assert_eq!(
            header.encode(),
            Err(HeaderError::Malformed("key slot algorithm"))
        );
    }

    #[test]
    fn every_slot_naming_a_key_is_usable_in_file_order() {
        let mut header = header();
        header.slots.push(KeySlot {
            fingerprint: Fingerprint([1; 32]),
            algorithm: SlotAlgorithm::RsaOaepSha256,
            wrapped_key: vec![6; 256],
        });
        let wrapped: Vec<u8> = header
            .usable_slots_for(Fingerprint([1; 32]))
            .map(|slot| slot.wrapped_key[0])
            .collect();
        assert_eq!(wrapped, [9, 6]);
    }

    /// S must be exactly 1 + the slots' lengths: one more or one less is refused, whether or not
    /// payload bytes follow that would let a lax reader carry on.
    #[test]
    fn the_slot_section_length_must_be_exact() {
        let bytes = header().encode().expect("encodes");
        let at = 26 + "audio/wav".len();
        let section_len = u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        assert_eq!(usize::from(section_len), bytes.len() - at - 2);
        for wrong in [section_len - 1, section_len + 1] {
            let mut damaged = bytes.clone();
            damaged[at..at + 2].copy_from_slice(&wrong.to_be_bytes());
            damaged.extend_from_slice(&[0; 100]);
            assert_eq!(
                SealedHeader::parse(&damaged),
                Err(HeaderError::Malformed("slot section length")),
                "S = {wrong}"
            );
        }
    }

    /// A space is printable ASCII: media type parameters (`audio/ogg; codecs=opus`) are
    /// allowed, by the writer and the reader alike; control characters and non-ASCII are not.
    #[test]
    fn writer_and_reader_agree_on_content_types() {
        for (content_type, valid) in [
            ("audio/ogg; codecs=opus", true),
            ("audio/wav", true),
            (" / ", true),
            ("audio wav", false),
            ("audio/wav\t", false),
            ("audio/wav\n", false),
            ("audio/wäv", false),
            ("", false),
        ] {
            let mut header = header();
            header.content_type = content_type.into();
            let encoded = header.encode();
            assert_eq!(encoded.is_ok(), valid, "{content_type:?}");
            // The reader judges the same bytes the same way.
            let mut bytes = header.bound_bytes();
            bytes.extend_from_slice(&1u16.to_be_bytes());
            bytes.push(0);
            let parsed = SealedHeader::parse(&bytes);
            assert_eq!(
                parsed != Err(HeaderError::Malformed("content type")),
                valid,
                "{content_type:?}: {parsed:?}"
            );
        }
        let mut header = header();
        header.content_type = "a/".repeat(64);
        assert!(header.encode().is_err(), "128 bytes is one too many");
        header.content_type.pop();
        assert!(header.encode().is_ok(), "127 bytes fit");
    }

    #[test]
    fn other_files_and_versions_are_named() {
        assert_eq!(
            SealedHeader::parse(b"RIFF....WAVEfmt "),
            Err(HeaderError::NotSealed)
        );
        let mut bytes = header().encode().expect("encodes");
        bytes[8] = 2;
        assert_eq!(
            SealedHeader::parse(&bytes),
            Err(HeaderError::UnsupportedVersion(2))
        );
    }
}
