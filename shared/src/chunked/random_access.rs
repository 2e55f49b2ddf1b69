use std::io;
use std::ops::Range;

use super::{CHUNK_SIZE, ChunkKeys, ENCRYPTED_CHUNK_SIZE, HEADER_LEN, plaintext_len};
use crate::crypto::{Crypto, DecryptError, GCM_TAG_LEN};

/// A source that serves byte ranges: a file, an object in a store, a buffer.
pub trait RangeSource {
    /// Exactly the bytes of `range`, or an error.
    fn read_range(&self, range: Range<u64>) -> io::Result<Vec<u8>>;
}

impl RangeSource for [u8] {
    fn read_range(&self, range: Range<u64>) -> io::Result<Vec<u8>> {
        let start = usize::try_from(range.start).map_err(io::Error::other)?;
        let end = usize::try_from(range.end).map_err(io::Error::other)?;
        self.get(start..end)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))
    }
}

impl RangeSource for std::fs::File {
    fn read_range(&self, range: Range<u64>) -> io::Result<Vec<u8>> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let len = usize::try_from(range.end - range.start).map_err(io::Error::other)?;
            let mut buffer = vec![0u8; len];
            self.read_exact_at(&mut buffer, range.start)?;
            Ok(buffer)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = self;
            file.seek(SeekFrom::Start(range.start))?;
            let mut buffer = vec![0u8; (range.end - range.start) as usize];
            file.read_exact(&mut buffer)?;
            Ok(buffer)
        }
    }
}

/// Random access to a chunked-encrypted message: which chunks cover a plaintext range, and
/// opening any one of them alone. The total length comes from the ciphertext length; it is
/// authenticated whenever the final chunk is opened ([`RandomAccess::verify_length`]).
pub struct RandomAccess<C: Crypto> {
    keys: ChunkKeys<C>,
    /// Where the first chunk starts in the source (after the 56-byte header).
    first_chunk_offset: u64,
    plaintext_len: u64,
}

impl<C: Crypto> RandomAccess<C> {
    /// `header_offset` is where the 56-byte header starts in the source, and `source_len` the
    /// source's whole length (the message runs to its end).
    pub fn new(
        keys: ChunkKeys<C>,
        header_offset: u64,
        source_len: u64,
    ) -> Result<Self, DecryptError> {
        let ciphertext_len = source_len.checked_sub(header_offset).ok_or(DecryptError)?;
        let plaintext_len = plaintext_len(ciphertext_len).ok_or(DecryptError)?;
        Ok(Self {
            keys,
            first_chunk_offset: header_offset + HEADER_LEN as u64,
            plaintext_len,
        })
    }

    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// The final chunk's number. There is always one, possibly empty.
    pub fn last_chunk(&self) -> u64 {
        self.plaintext_len / CHUNK_SIZE as u64
    }

    /// The chunks that hold the plaintext bytes of `range` (empty ranges hold none).
    pub fn chunks_covering(&self, range: &Range<u64>) -> Range<u64> {
        let end = range.end.min(self.plaintext_len);
        if range.start >= end {
            return 0..0;
        }
        range.start / CHUNK_SIZE as u64..(end - 1) / CHUNK_SIZE as u64 + 1
    }

    /// Where chunk `index`'s ciphertext lies in the source.
    pub fn chunk_location(&self, index: u64) -> Range<u64> {
        let start = self.first_chunk_offset + index * ENCRYPTED_CHUNK_SIZE as u64;
        let len = if index == self.last_chunk() {
            (self.plaintext_len % CHUNK_SIZE as u64) as usize + GCM_TAG_LEN
        } else {
            ENCRYPTED_CHUNK_SIZE
        };
        start..start + len as u64
    }

    /// Opens chunk `index` from its ciphertext (as read from [`Self::chunk_location`]).
    pub fn open_chunk(&self, index: u64, mut ciphertext: Vec<u8>) -> Result<Vec<u8>, DecryptError> {
        let len = self.open_chunk_in_place(index, &mut ciphertext)?;
        ciphertext.truncate(len);
        Ok(ciphertext)
    }

    /// Opens chunk `index` where its ciphertext lies, in `ciphertext`; the plaintext is then
    /// its first bytes, as many as this returns. For a server that opens many chunks of one
    /// read without copying each out first.
    pub fn open_chunk_in_place(
        &self,
        index: u64,
        ciphertext: &mut [u8],
    ) -> Result<usize, DecryptError> {
        let location = self.chunk_location(index);
        if index > self.last_chunk() || ciphertext.len() as u64 != location.end - location.start {
            return Err(DecryptError);
        }
        self.keys.open_chunk(index, ciphertext)
    }

    /// Reads and opens chunk `index`.
    pub fn read_chunk<S: RangeSource + ?Sized>(
        &self,
        source: &S,
        index: u64,
    ) -> io::Result<Vec<u8>> {
        let ciphertext = source.read_range(self.chunk_location(index))?;
        self.open_chunk(index, ciphertext).map_err(invalid_data)
    }

    /// Authenticates the message length by opening the final chunk.
    pub fn verify_length<S: RangeSource + ?Sized>(&self, source: &S) -> io::Result<()> {
        self.read_chunk(source, self.last_chunk()).map(drop)
    }

    /// The plaintext of `range`, reading only the chunks that cover it. Memory is the range's
    /// size; stream long ranges chunk by chunk with [`Self::read_chunk`] instead.
    pub fn read_range<S: RangeSource + ?Sized>(
        &self,
        source: &S,
        range: Range<u64>,
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        for index in self.chunks_covering(&range) {
            let chunk = self.read_chunk(source, index)?;
            out.extend_from_slice(self.slice_of_chunk(index, &chunk, &range));
        }
        Ok(out)
    }

    /// The part of chunk `index`'s plaintext that falls into `range`.
    pub fn slice_of_chunk<'c>(&self, index: u64, chunk: &'c [u8], range: &Range<u64>) -> &'c [u8] {
        &chunk[self.wanted_in_chunk(index, chunk.len(), range)]
    }

    /// Where the part of `range` that chunk `index` (of `chunk_len` plain bytes) holds lies
    /// in that chunk.
    pub fn wanted_in_chunk(
        &self,
        index: u64,
        chunk_len: usize,
        range: &Range<u64>,
    ) -> Range<usize> {
        let chunk_start = index * CHUNK_SIZE as u64;
        let from = range
            .start
            .saturating_sub(chunk_start)
            .min(chunk_len as u64) as usize;
        let to = range.end.saturating_sub(chunk_start).min(chunk_len as u64) as usize;
        from..to.max(from)
    }
}

fn invalid_data(error: DecryptError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}
