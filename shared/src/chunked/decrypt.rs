use std::io::{self, Read};

use super::{ChunkKeys, ENCRYPTED_CHUNK_SIZE};
use crate::crypto::{Crypto, DecryptError, GCM_TAG_LEN};

/// Chunked decryption without I/O: ciphertext in, authenticated plaintext out. Plaintext is
/// released one whole authenticated chunk at a time; after any failure every call fails.
pub struct ChunkDecryptor<C: Crypto> {
    keys: ChunkKeys<C>,
    index: u64,
    buffer: Vec<u8>,
    failed: bool,
}

impl<C: Crypto> ChunkDecryptor<C> {
    /// Starts after the 56-byte header, whose commitment [`ChunkKeys::for_decryption`] checked.
    pub fn new(keys: ChunkKeys<C>) -> Self {
        Self {
            keys,
            index: 0,
            buffer: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
            failed: false,
        }
    }

    /// Takes more ciphertext, appending the plaintext of every chunk it completes to `out`.
    /// A full-size encrypted chunk is never the final one, so it is opened at once.
    pub fn update(&mut self, mut ciphertext: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        self.check_not_failed()?;
        while !ciphertext.is_empty() {
            let take = (ENCRYPTED_CHUNK_SIZE - self.buffer.len()).min(ciphertext.len());
            self.buffer.extend_from_slice(&ciphertext[..take]);
            ciphertext = &ciphertext[take..];
            if self.buffer.len() == ENCRYPTED_CHUNK_SIZE {
                self.open_buffered(out)?;
            }
        }
        Ok(())
    }

    /// The ciphertext has ended: what is buffered must be the short final chunk.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        self.check_not_failed()?;
        if self.buffer.len() < GCM_TAG_LEN {
            // Nothing, or less than a tag, after a full chunk: the message was cut.
            self.failed = true;
            return Err(DecryptError);
        }
        self.open_buffered(out)?;
        // Whatever comes after the final chunk is an error too.
        self.failed = true;
        Ok(())
    }

    fn open_buffered(&mut self, out: &mut Vec<u8>) -> Result<(), DecryptError> {
        match self.keys.open_chunk(self.index, &mut self.buffer) {
            Ok(len) => {
                out.extend_from_slice(&self.buffer[..len]);
                self.buffer.clear();
                self.index += 1;
                Ok(())
            }
            Err(error) => {
                self.failed = true;
                Err(error)
            }
        }
    }

    fn check_not_failed(&self) -> Result<(), DecryptError> {
        if self.failed {
            Err(DecryptError)
        } else {
            Ok(())
        }
    }
}

/// Decrypts what it reads from `inner` (positioned after the 56-byte header). A stream that
/// meets a bad chunk, or ends where no message can end, fails with `InvalidData`: never a
/// clean end of file.
pub struct DecryptReader<C: Crypto, R: Read> {
    decryptor: ChunkDecryptor<C>,
    inner: R,
    input: Box<[u8]>,
    plaintext: Vec<u8>,
    position: usize,
    state: ReadState,
}

#[derive(PartialEq, Eq)]
enum ReadState {
    Reading,
    Finished,
    Failed,
}

impl<C: Crypto, R: Read> DecryptReader<C, R> {
    pub fn new(decryptor: ChunkDecryptor<C>, inner: R) -> Self {
        Self {
            decryptor,
            inner,
            input: vec![0u8; ENCRYPTED_CHUNK_SIZE].into_boxed_slice(),
            plaintext: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
            position: 0,
            state: ReadState::Reading,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.plaintext.clear();
        self.position = 0;
        while self.plaintext.is_empty() && self.state == ReadState::Reading {
            let read = match self.inner.read(&mut self.input) {
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            let result = if read == 0 {
                self.state = ReadState::Finished;
                self.decryptor.finish(&mut self.plaintext)
            } else {
                self.decryptor
                    .update(&self.input[..read], &mut self.plaintext)
            };
            if let Err(error) = result {
                self.state = ReadState::Failed;
                self.plaintext.clear();
                return Err(io::Error::new(io::ErrorKind::InvalidData, error));
            }
        }
        Ok(())
    }
}

impl<C: Crypto, R: Read> Read for DecryptReader<C, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state == ReadState::Failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, DecryptError));
        }
        if self.position == self.plaintext.len() {
            self.refill()?;
        }
        let available = &self.plaintext[self.position..];
        let len = available.len().min(buf.len());
        buf[..len].copy_from_slice(&available[..len]);
        self.position += len;
        Ok(len)
    }
}
