use crate::keys::Fingerprint;

use super::{MAGIC, MAX_CONTENT_TYPE_LEN, MAX_SLOTS, MAX_WRAPPED_KEY_LEN, VERSION};

/// How a key slot wraps the recording's input key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotAlgorithm {
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label.
    RsaOaepSha256 = 1,
}

impl SlotAlgorithm {
    fn from_byte(byte: u8) -> Result<Self, HeaderError> {
        match byte {
            1 => Ok(SlotAlgorithm::RsaOaepSha256),
            _ => Err(HeaderError::Malformed("unknown key slot algorithm")),
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
            bytes.push(slot.algorithm as u8);
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
            let algorithm = SlotAlgorithm::from_byte(reader.byte()?)?;
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

    pub fn slot_for(&self, fingerprint: Fingerprint) -> Option<&KeySlot> {
        self.slots
            .iter()
            .find(|slot| slot.fingerprint == fingerprint)
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
