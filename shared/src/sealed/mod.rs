//! The sealed-recording format (version 1): a self-contained file that, with the private key of
//! any one of its key slots, gives back the recording with no database and no server.
//! `FORMAT.md` at the repository root specifies the bytes; this module is its reference.
//!
//! ```text
//! magic "CVREC\r\n\x1a" | version 0x01 | recording id (16) | content type (len u8, ASCII)
//!     -- the bytes so far are the chunked-encryption context: immutable --
//! slot section length (u16 BE) | slot count (u8) | slots: fingerprint (32), algorithm (u8),
//!     wrapped key length (u16 BE), wrapped key
//!     -- replaceable: a rewrap rewrites only this section --
//! c2sp.org/chunked-encryption payload: salt (24) | commitment (32) | chunks
//! ```

mod header;
mod open;
mod rewrap;
mod seal;

pub use header::{HeaderError, KeySlot, ParsedHeader, SealedHeader, SlotAlgorithm};
pub use open::{
    OpenError, OpenSummary, Opened, open, open_payload, open_random_access, read_header,
};
pub use rewrap::rewrap;
pub use seal::{SealError, SealSummary, Sealer, seal};

/// Eight bytes that name the format and catch text-mode mangling (as PNG's do).
pub const MAGIC: [u8; 8] = *b"CVREC\r\n\x1a";
pub const VERSION: u8 = 1;
/// The most key slots a file may carry.
pub const MAX_SLOTS: usize = 16;
/// The longest content type (an RFC 6838 media type, as sent by the uploader).
pub const MAX_CONTENT_TYPE_LEN: usize = 127;
/// The longest wrapped key: an RSA-4096 ciphertext.
pub const MAX_WRAPPED_KEY_LEN: usize = 512;
/// Enough bytes to hold any valid header, for readers that fetch the header in one request.
pub const MAX_HEADER_LEN: usize = 8
    + 1
    + 16
    + 1
    + MAX_CONTENT_TYPE_LEN
    + 2
    + 1
    + MAX_SLOTS * (32 + 1 + 2 + MAX_WRAPPED_KEY_LEN)
    + crate::chunked::HEADER_LEN;
