use std::io::{self, Write};

use super::{CHUNK_SIZE, ChunkKeys, ENCRYPTED_CHUNK_SIZE};
use crate::crypto::{Crypto, CryptoError};

/// Chunked encryption without I/O: plaintext in, ciphertext out, 16 KiB buffered at most.
pub struct ChunkEncryptor<C: Crypto> {
    keys: ChunkKeys<C>,
    index: u64,
    buffer: Vec<u8>,
}

impl<C: Crypto> ChunkEncryptor<C> {
    /// Starts after the 56-byte header, which the caller writes (see
    /// [`ChunkKeys::for_encryption`]).
    pub fn new(keys: ChunkKeys<C>) -> Self {
        Self {
            keys,
            index: 0,
            buffer: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
        }
    }

    /// Encrypts `plaintext`, appending every chunk it completes to `out`. A full chunk is never
    /// the final one, so it is flushed at once.
    pub fn update(&mut self, mut plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), CryptoError> {
        while !plaintext.is_empty() {
            let take = (CHUNK_SIZE - self.buffer.len()).min(plaintext.len());
            self.buffer.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
            if self.buffer.len() == CHUNK_SIZE {
                self.flush_chunk(out)?;
            }
        }
        Ok(())
    }

    /// Encrypts what is left as the final, short chunk (empty if the message length is a
    /// multiple of 16 KiB).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        self.flush_chunk(out)
    }

    fn flush_chunk(&mut self, out: &mut Vec<u8>) -> Result<(), CryptoError> {
        let tag = self.keys.seal_chunk(self.index, &mut self.buffer)?;
        out.extend_from_slice(&self.buffer);
        out.extend_from_slice(&tag);
        self.buffer.clear();
        self.index += 1;
        Ok(())
    }
}

/// Encrypts everything written to it into `inner`; [`EncryptWriter::finish`] writes the final
/// chunk and must be called, or the message is truncated.
pub struct EncryptWriter<C: Crypto, W: Write> {
    encryptor: ChunkEncryptor<C>,
    inner: W,
    pending: Vec<u8>,
}

impl<C: Crypto, W: Write> EncryptWriter<C, W> {
    pub fn new(encryptor: ChunkEncryptor<C>, inner: W) -> Self {
        Self {
            encryptor,
            inner,
            pending: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
        }
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.encryptor
            .finish(&mut self.pending)
            .map_err(io::Error::other)?;
        self.inner.write_all(&self.pending)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<C: Crypto, W: Write> Write for EncryptWriter<C, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // At most one chunk at a time keeps memory constant whatever the caller writes.
        let take = buf.len().min(CHUNK_SIZE);
        self.encryptor
            .update(&buf[..take], &mut self.pending)
            .map_err(io::Error::other)?;
        self.inner.write_all(&self.pending)?;
        self.pending.clear();
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
