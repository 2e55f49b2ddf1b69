//! Reading one entry the central-directory scan listed: exactly its stored bytes, with its
//! CRC-32 checked when they end. Only stored entries are read, so what comes out is what the
//! archive holds, byte for byte.

use std::io::{self, Read, Seek, SeekFrom, Take};

use super::central_directory::Entry;

/// The data of one stored entry. Reading to the end fails with `InvalidData` when the bytes
/// are not the ones the directory's CRC-32 promises.
pub struct EntryReader<'a, R: Read> {
    data: Take<&'a mut R>,
    crc: crc32fast::Hasher,
    expected: u32,
}

impl<'a, R: Read + Seek> EntryReader<'a, R> {
    /// `entry` must come from [`super::central_directory::scan`] of this same `archive`.
    pub fn open(archive: &'a mut R, entry: &Entry) -> io::Result<Self> {
        if !entry.is_stored() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "compressed, and archives are stored",
            ));
        }
        archive.seek(SeekFrom::Start(entry.data_offset))?;
        Ok(Self {
            data: archive.take(entry.compressed_size),
            crc: crc32fast::Hasher::new(),
            expected: entry.crc32,
        })
    }
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.data.read(buf)?;
        if read == 0 && !buf.is_empty() {
            if self.data.limit() != 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if self.crc.clone().finalize() != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "its CRC-32 is not the one the central directory gives",
                ));
            }
        }
        self.crc.update(&buf[..read]);
        Ok(read)
    }
}
