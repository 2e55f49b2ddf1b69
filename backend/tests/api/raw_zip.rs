//! A ZIP writer that writes what it is told: local headers, bytes and central-directory
//! records that need not agree with each other, so that tests can build the archives a
//! well-behaved writer (the `zip` crate) refuses to produce — entries that overlap, names
//! that repeat, records that point past the end, headers that lie.

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
/// Stored, the only method an archive of ours uses.
pub const STORED: u16 = 0;
pub const DEFLATED: u16 = 8;

/// One central-directory record, written as given: any field may lie.
#[derive(Debug, Clone)]
pub struct Central {
    pub name: String,
    /// Where the entry's local header is said to start.
    pub offset: u32,
    pub compressed_size: u32,
    pub size: u32,
    pub crc: u32,
    pub method: u16,
}

impl Central {
    /// The honest record of a stored entry whose local header is at `offset`.
    pub fn stored(name: &str, offset: u32, data: &[u8]) -> Self {
        let len = u32::try_from(data.len()).expect("a small test entry");
        Self {
            name: name.to_owned(),
            offset,
            compressed_size: len,
            size: len,
            crc: crc32fast::hash(data),
            method: STORED,
        }
    }
}

/// A local header as it goes into the archive, whatever its record says.
#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub compressed_size: u32,
    pub size: u32,
    pub crc: u32,
    pub method: u16,
}

impl Local {
    pub fn stored(name: &str, data: &[u8]) -> Self {
        let record = Central::stored(name, 0, data);
        Self {
            name: record.name,
            compressed_size: record.compressed_size,
            size: record.size,
            crc: record.crc,
            method: record.method,
        }
    }

    /// The header's bytes, without the data that follows it.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put32(&mut out, LOCAL);
        put16(&mut out, 20); // version needed: 2.0
        put16(&mut out, 0x0800); // flags: the name is UTF-8
        put16(&mut out, self.method);
        put16(&mut out, 0); // time
        put16(&mut out, 0x21); // date: 1980-01-01
        put32(&mut out, self.crc);
        put32(&mut out, self.compressed_size);
        put32(&mut out, self.size);
        put16(&mut out, len16(self.name.len()));
        put16(&mut out, 0); // no extra field
        out.extend_from_slice(self.name.as_bytes());
        out
    }
}

/// An archive being put together: its bytes so far, and the records of its directory.
#[derive(Default)]
pub struct RawZip {
    bytes: Vec<u8>,
    central: Vec<Central>,
}

impl RawZip {
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the next bytes go.
    pub fn position(&self) -> u32 {
        u32::try_from(self.bytes.len()).expect("a small test archive")
    }

    /// Appends bytes as they are: an entry's data, or another entry hidden inside it.
    pub fn raw(&mut self, bytes: &[u8]) -> u32 {
        let at = self.position();
        self.bytes.extend_from_slice(bytes);
        at
    }

    /// Appends `header` and `data`; the honest record of that entry is returned, not added.
    pub fn local_with(&mut self, header: &Local, data: &[u8]) -> Central {
        let at = self.raw(&header.bytes());
        self.raw(data);
        Central::stored(&header.name, at, data)
    }

    /// Appends an honest local header and `data`; its record is returned, not added.
    pub fn local(&mut self, name: &str, data: &[u8]) -> Central {
        self.local_with(&Local::stored(name, data), data)
    }

    /// Adds a record to the central directory.
    pub fn central(&mut self, record: Central) {
        self.central.push(record);
    }

    /// A well-formed entry: its local header, its data and its record.
    pub fn entry(&mut self, name: &str, data: &[u8]) -> Central {
        let record = self.local(name, data);
        self.central(record.clone());
        record
    }

    /// The archive: what was written, the central directory, and its end record.
    pub fn finish(mut self) -> Vec<u8> {
        let start = self.position();
        let records = std::mem::take(&mut self.central);
        for record in &records {
            central_bytes(&mut self.bytes, record);
        }
        let size = self.position() - start;
        let count = len16(records.len());
        let out = &mut self.bytes;
        put32(out, END);
        put16(out, 0); // this disk
        put16(out, 0); // the directory's disk
        put16(out, count);
        put16(out, count);
        put32(out, size);
        put32(out, start);
        put16(out, 0); // no comment
        self.bytes
    }
}

/// The header of a local entry followed by its data, to hide inside another entry's data.
pub fn local_record(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = Local::stored(name, data).bytes();
    out.extend_from_slice(data);
    out
}

fn central_bytes(out: &mut Vec<u8>, record: &Central) {
    put32(out, CENTRAL);
    put16(out, 0x031e); // made by: Unix, 3.0
    put16(out, 20);
    put16(out, 0x0800);
    put16(out, record.method);
    put16(out, 0);
    put16(out, 0x21);
    put32(out, record.crc);
    put32(out, record.compressed_size);
    put32(out, record.size);
    put16(out, len16(record.name.len()));
    put16(out, 0); // no extra field
    put16(out, 0); // no comment
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, 0o100600 << 16); // external attributes: a regular file, 0600
    put32(out, record.offset);
    out.extend_from_slice(record.name.as_bytes());
}

fn len16(len: usize) -> u16 {
    u16::try_from(len).expect("a small test archive")
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
