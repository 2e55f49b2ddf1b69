//! Our own reading of a ZIP's central directory, so that an archive means one thing only.
//!
//! A ZIP names its entries twice (a central directory at the end, a local header before each
//! entry's data) and nothing in the format stops two records from naming the same thing, or
//! the same bytes. General readers are lenient about that: the `zip` crate keeps the last of
//! two entries of one name, and gives each record its own reading of bytes another record
//! points at too. An importer that trusts such a reader can be made to import a file no
//! reviewer saw, or to store one file eighty times. So the directory is read here, strictly,
//! before anything else: every name once, every entry inside the archive and clear of every
//! other, every local header saying what the directory says, and all entries together no
//! larger than the archive. Whatever passes has one meaning, and entries are read only
//! through the list this returns.

use std::collections::HashSet;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Longer names are not ours (ours are about 60 bytes): the bound keeps the list small.
pub const MAX_NAME_LEN: usize = 1024;

const END: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;
const DESCRIPTOR: u32 = 0x0807_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
const END_LEN: u64 = 22;
const LOCATOR_LEN: u64 = 20;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
/// General-purpose flags: the entry is encrypted; its sizes follow its data.
const ENCRYPTED: u16 = 0x0001;
const TRAILING_SIZES: u16 = 0x0008;
/// What a 16- or 32-bit field holds when the real value is in a ZIP64 field.
const MAX16: u16 = 0xFFFF;
const MAX32: u32 = 0xFFFF_FFFF;

/// One entry as the directory lists it, checked against its local header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// Where its local header starts.
    pub header_offset: u64,
    /// Where its data starts, past the local header.
    pub data_offset: u64,
    pub compressed_size: u64,
    pub size: u64,
    /// 0 is stored, 8 deflated.
    pub method: u16,
    pub crc32: u32,
}

impl Entry {
    /// Stored as is: the only kind an archive of ours holds, and one that cannot expand.
    pub fn is_stored(&self) -> bool {
        self.method == 0 && self.compressed_size == self.size
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The archive is not one unambiguous ZIP: the reason, in words.
    #[error("{0}")]
    Invalid(String),
    /// The archive could not be read at all (the disk, not its contents).
    #[error(transparent)]
    Io(io::Error),
}

impl From<io::Error> for ScanError {
    fn from(error: io::Error) -> Self {
        // Every read is bounded by the archive's length first: running out is a lie in it.
        if error.kind() == io::ErrorKind::UnexpectedEof {
            invalid("the archive is cut short")
        } else {
            Self::Io(error)
        }
    }
}

fn invalid(reason: impl Into<String>) -> ScanError {
    ScanError::Invalid(reason.into())
}

/// Where the central directory is, from the end records.
struct Bounds {
    count: u64,
    offset: u64,
    /// Where the directory ends: the ZIP64 end record, or else the end record.
    end: u64,
}

/// The entries of the archive `reader` holds, in directory order, once every rule above holds.
pub fn scan<R: Read + Seek>(reader: &mut R, max_entries: usize) -> Result<Vec<Entry>, ScanError> {
    let len = reader.seek(SeekFrom::End(0))?;
    let bounds = end_records(reader, len)?;
    if bounds.count > max_entries as u64 {
        return Err(invalid(format!("more than {max_entries} entries")));
    }
    let records = central_records(reader, &bounds)?;
    check_totals(&records, len)?;
    let mut located = Vec::with_capacity(records.len());
    for record in records {
        let local = local_header(reader, &record, bounds.offset)?;
        located.push((record, local));
    }
    check_overlaps(&located)?;
    located
        .into_iter()
        .map(|(record, local)| agree(record, &local))
        .collect()
}

/// The end record, and the ZIP64 end record when a locator points at one. Ours have no archive
/// comment, so the end record is the last 22 bytes: searching for it in a comment is where
/// readers start to disagree.
fn end_records<R: Read + Seek>(reader: &mut R, len: u64) -> Result<Bounds, ScanError> {
    let not_zip = || invalid("not a ZIP archive (no end record at its end)");
    if len < END_LEN {
        return Err(not_zip());
    }
    let end_at = len - END_LEN;
    let end: [u8; END_LEN as usize] = read_array(reader, end_at)?;
    if le32(&end, 0) != END || le16(&end, 20) != 0 {
        return Err(not_zip());
    }
    let (disk, directory_disk) = (le16(&end, 4), le16(&end, 6));
    let (on_disk, count) = (le16(&end, 8), le16(&end, 10));
    let (size, offset) = (le32(&end, 12), le32(&end, 16));
    if on_disk != count {
        return Err(invalid("the archive spans several disks"));
    }
    let locator = if end_at >= LOCATOR_LEN {
        let locator: [u8; LOCATOR_LEN as usize] = read_array(reader, end_at - LOCATOR_LEN)?;
        (le32(&locator, 0) == ZIP64_LOCATOR).then_some(locator)
    } else {
        None
    };
    let Some(locator) = locator else {
        if disk != 0 || directory_disk != 0 {
            return Err(invalid("the archive spans several disks"));
        }
        let (offset, size) = (u64::from(offset), u64::from(size));
        return directory_bounds(u64::from(count), offset, size, end_at);
    };
    if le32(&locator, 4) != 0 || le32(&locator, 16) > 1 {
        return Err(invalid("the archive spans several disks"));
    }
    let zip64_at = le64(&locator, 8);
    let zip64: [u8; 56] = read_array(reader, zip64_at)?;
    // The ZIP64 end record must run exactly up to its locator: nothing hides in between.
    let runs_to_locator = le64(&zip64, 4)
        .checked_add(zip64_at + 12)
        .is_some_and(|record_end| record_end == end_at - LOCATOR_LEN);
    if le32(&zip64, 0) != ZIP64_END || !runs_to_locator {
        return Err(invalid("a damaged ZIP64 end record"));
    }
    if le32(&zip64, 16) != 0 || le32(&zip64, 20) != 0 || le64(&zip64, 24) != le64(&zip64, 32) {
        return Err(invalid("the archive spans several disks"));
    }
    let (count64, size64, offset64) = (le64(&zip64, 32), le64(&zip64, 40), le64(&zip64, 48));
    // Where the end record does not defer to the ZIP64 one, the two must say the same.
    let agrees = (count == MAX16 || u64::from(count) == count64)
        && (size == MAX32 || u64::from(size) == size64)
        && (offset == MAX32 || u64::from(offset) == offset64);
    if !agrees {
        return Err(invalid("the end record and the ZIP64 end record disagree"));
    }
    directory_bounds(count64, offset64, size64, zip64_at)
}

/// The directory must end where the end records begin: no bytes in between, which is where a
/// second directory could hide.
fn directory_bounds(count: u64, offset: u64, size: u64, end: u64) -> Result<Bounds, ScanError> {
    if offset.checked_add(size) != Some(end) {
        return Err(invalid(
            "the central directory is not where the end record says",
        ));
    }
    if count.saturating_mul(CENTRAL_LEN as u64) > size {
        return Err(invalid("the central directory is shorter than its entries"));
    }
    Ok(Bounds { count, offset, end })
}

/// One record of the central directory, before its local header is read.
struct Record {
    entry: Entry,
    name_bytes: Vec<u8>,
    flags: u16,
}

fn central_records<R: Read + Seek>(
    reader: &mut R,
    bounds: &Bounds,
) -> Result<Vec<Record>, ScanError> {
    reader.seek(SeekFrom::Start(bounds.offset))?;
    let mut directory = BufReader::new(reader.take(bounds.end - bounds.offset));
    let mut records = Vec::new();
    let mut extra = Vec::new();
    for _ in 0..bounds.count {
        let mut fixed = [0u8; CENTRAL_LEN];
        directory.read_exact(&mut fixed)?;
        if le32(&fixed, 0) != CENTRAL {
            return Err(invalid("a damaged central directory"));
        }
        let flags = le16(&fixed, 8);
        let (name_len, extra_len) = (usize::from(le16(&fixed, 28)), le16(&fixed, 30));
        let comment_len = le16(&fixed, 32);
        if name_len > MAX_NAME_LEN {
            return Err(invalid(format!(
                "an entry name is longer than {MAX_NAME_LEN} bytes"
            )));
        }
        let mut name_bytes = vec![0u8; name_len];
        directory.read_exact(&mut name_bytes)?;
        extra.resize(usize::from(extra_len), 0);
        directory.read_exact(&mut extra)?;
        io::copy(
            &mut (&mut directory).take(u64::from(comment_len)),
            &mut io::sink(),
        )?;
        let name = String::from_utf8(name_bytes.clone())
            .map_err(|_| invalid("an entry name is not UTF-8"))?;
        if flags & ENCRYPTED != 0 {
            return Err(invalid(format!("{name}: encrypted entries are not read")));
        }
        let mut size = u64::from(le32(&fixed, 24));
        let mut compressed_size = u64::from(le32(&fixed, 20));
        let mut header_offset = u64::from(le32(&fixed, 42));
        let mut disk = u32::from(le16(&fixed, 34));
        let mut zip64 = Zip64Fields::find(&extra, &name)?;
        for (field, sentinel) in [
            (&mut size, MAX32),
            (&mut compressed_size, MAX32),
            (&mut header_offset, MAX32),
        ] {
            if *field == u64::from(sentinel) {
                *field = zip64.next_u64(&name)?;
            }
        }
        if disk == u32::from(MAX16) {
            disk = zip64.next_u32(&name)?;
        }
        if disk != 0 {
            return Err(invalid("the archive spans several disks"));
        }
        records.push(Record {
            entry: Entry {
                name,
                header_offset,
                data_offset: 0,
                compressed_size,
                size,
                method: le16(&fixed, 10),
                crc32: le32(&fixed, 16),
            },
            name_bytes,
            flags,
        });
    }
    if io::BufRead::fill_buf(&mut directory)?.is_empty() {
        Ok(records)
    } else {
        Err(invalid("the central directory holds more than its entries"))
    }
}

/// The names are unique, and the entries together are no larger than the archive: whatever
/// an import stores, the archive itself carried.
fn check_totals(records: &[Record], len: u64) -> Result<(), ScanError> {
    let mut names = HashSet::with_capacity(records.len());
    let mut total = 0u64;
    for record in records {
        let entry = &record.entry;
        total = total.saturating_add(entry.size.max(entry.compressed_size));
        if !names.insert(entry.name.as_str()) {
            return Err(invalid(format!("{} appears twice", entry.name)));
        }
    }
    if total > len {
        return Err(invalid(format!(
            "the entries hold more bytes than the archive ({total} bytes in {len})"
        )));
    }
    Ok(())
}

/// An entry's local header as written, and the bytes the entry takes up.
struct Local {
    name_bytes: Vec<u8>,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    size: u64,
    /// What the data descriptor after the data says (CRC-32, sizes), when it has one.
    descriptor: Option<(u32, u64, u64)>,
    data_offset: u64,
    /// Where the entry ends: past its data, and its data descriptor if any.
    end: u64,
}

/// Reads the local header of `record`, which must lie, with its data, before the directory.
fn local_header<R: Read + Seek>(
    reader: &mut R,
    record: &Record,
    directory_at: u64,
) -> Result<Local, ScanError> {
    let entry = &record.entry;
    let outside = || invalid(format!("{}: outside the archive", entry.name));
    let within = |end: Option<u64>| end.filter(|end| *end <= directory_at).ok_or_else(outside);
    within(entry.header_offset.checked_add(LOCAL_LEN as u64))?;
    let fixed: [u8; LOCAL_LEN] = read_array(reader, entry.header_offset)?;
    if le32(&fixed, 0) != LOCAL {
        return Err(invalid(format!(
            "{}: no local header where the directory says",
            entry.name
        )));
    }
    let (name_len, extra_len) = (le16(&fixed, 26), le16(&fixed, 28));
    let data_offset = within(
        (entry.header_offset + LOCAL_LEN as u64)
            .checked_add(u64::from(name_len) + u64::from(extra_len)),
    )?;
    let data_end = within(data_offset.checked_add(entry.compressed_size))?;
    let mut name_bytes = vec![0u8; usize::from(name_len)];
    reader.read_exact(&mut name_bytes)?;
    let mut extra = vec![0u8; usize::from(extra_len)];
    reader.read_exact(&mut extra)?;
    let flags = le16(&fixed, 6);
    let has_zip64 = Zip64Fields::find(&extra, &entry.name)?.is_present();
    let mut size = u64::from(le32(&fixed, 22));
    let mut compressed_size = u64::from(le32(&fixed, 18));
    if size == u64::from(MAX32) || compressed_size == u64::from(MAX32) {
        // A local ZIP64 field holds both sizes, always.
        let mut zip64 = Zip64Fields::find(&extra, &entry.name)?;
        size = zip64.next_u64(&entry.name)?;
        compressed_size = zip64.next_u64(&entry.name)?;
    }
    let (descriptor, end) = if flags & TRAILING_SIZES != 0 {
        // The sizes follow the data (a streamed archive): 8 bytes each when the header has a
        // ZIP64 field, after an optional signature.
        let width = if has_zip64 { 8 } else { 4 };
        let mut signature = [0u8; 4];
        within(data_end.checked_add(4))?;
        reader.seek(SeekFrom::Start(data_end))?;
        reader.read_exact(&mut signature)?;
        let at = if u32::from_le_bytes(signature) == DESCRIPTOR {
            data_end + 4
        } else {
            data_end
        };
        let end = within(at.checked_add(4 + 2 * width))?;
        // 20 bytes whatever the width: past a short descriptor lies the directory, not the end.
        let fields: [u8; 20] = read_array(reader, at)?;
        let sizes = if has_zip64 {
            (le64(&fields, 4), le64(&fields, 12))
        } else {
            (u64::from(le32(&fields, 4)), u64::from(le32(&fields, 8)))
        };
        (Some((le32(&fields, 0), sizes.0, sizes.1)), end)
    } else {
        (None, data_end)
    };
    Ok(Local {
        name_bytes,
        flags,
        method: le16(&fixed, 8),
        crc32: le32(&fixed, 14),
        compressed_size,
        size,
        descriptor,
        data_offset,
        end,
    })
}

/// No two entries share a byte: each record is its own bytes, or one file could be imported
/// under many names.
fn check_overlaps(located: &[(Record, Local)]) -> Result<(), ScanError> {
    let mut spans: Vec<(u64, u64, &str)> = located
        .iter()
        .map(|(record, local)| {
            (
                record.entry.header_offset,
                local.end,
                record.entry.name.as_str(),
            )
        })
        .collect();
    spans.sort_unstable();
    for pair in spans.windows(2) {
        let ((_, end, first), (start, _, second)) = (pair[0], pair[1]);
        if start < end {
            return Err(invalid(format!("{first} and {second} overlap")));
        }
    }
    Ok(())
}

/// The local header says what the directory says: its name, its method, and its CRC-32 and
/// sizes wherever it carries them (a streamed entry carries them after its data instead).
fn agree(record: Record, local: &Local) -> Result<Entry, ScanError> {
    let mut entry = record.entry;
    let differs = |what: &str| {
        Err(invalid(format!(
            "{}: the local header says another {what} than the central directory",
            entry.name
        )))
    };
    if local.name_bytes != record.name_bytes {
        return differs("name");
    }
    if local.method != entry.method {
        return differs("compression method");
    }
    if (local.flags ^ record.flags) & (ENCRYPTED | TRAILING_SIZES) != 0 {
        return differs("set of flags");
    }
    // A streamed entry's header may leave its CRC-32 and sizes at zero; if it does not, they
    // must be the real ones.
    let streamed = local.descriptor.is_some();
    let unset = |value: u64| streamed && value == 0;
    if !(unset(u64::from(local.crc32)) || local.crc32 == entry.crc32) {
        return differs("CRC-32");
    }
    let sizes_agree = (unset(local.size) || local.size == entry.size)
        && (unset(local.compressed_size) || local.compressed_size == entry.compressed_size);
    if !sizes_agree {
        return differs("size");
    }
    if let Some(descriptor) = local.descriptor
        && descriptor != (entry.crc32, entry.compressed_size, entry.size)
    {
        return Err(invalid(format!(
            "{}: its data descriptor disagrees with the central directory",
            entry.name
        )));
    }
    entry.data_offset = local.data_offset;
    Ok(entry)
}

/// The values of an entry's ZIP64 extra field, taken in the order the format gives them.
struct Zip64Fields<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Zip64Fields<'a> {
    /// The ZIP64 field among `extra`'s fields, which must be well formed and hold it once.
    fn find(mut extra: &'a [u8], name: &str) -> Result<Self, ScanError> {
        let damaged = || invalid(format!("{name}: a damaged extra field"));
        let mut found = None;
        while !extra.is_empty() {
            let header = extra.get(..4).ok_or_else(damaged)?;
            let (id, len) = (le16(header, 0), usize::from(le16(header, 2)));
            let body = extra.get(4..4 + len).ok_or_else(damaged)?;
            if id == ZIP64_EXTRA && found.replace(body).is_some() {
                return Err(invalid(format!("{name}: two ZIP64 extra fields")));
            }
            extra = &extra[4 + len..];
        }
        Ok(Self { rest: found })
    }

    fn is_present(&self) -> bool {
        self.rest.is_some()
    }

    fn next_u64(&mut self, name: &str) -> Result<u64, ScanError> {
        let bytes = self.take(8, name)?;
        Ok(le64(bytes, 0))
    }

    fn next_u32(&mut self, name: &str) -> Result<u32, ScanError> {
        let bytes = self.take(4, name)?;
        Ok(le32(bytes, 0))
    }

    fn take(&mut self, len: usize, name: &str) -> Result<&'a [u8], ScanError> {
        let missing = || invalid(format!("{name}: a ZIP64 value is missing"));
        let rest = self.rest.ok_or_else(missing)?;
        let taken = rest.get(..len).ok_or_else(missing)?;
        self.rest = Some(&rest[len..]);
        Ok(taken)
    }
}

fn read_array<R: Read + Seek, const N: usize>(reader: &mut R, at: u64) -> io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    reader.seek(SeekFrom::Start(at))?;
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// Little-endian fields at fixed offsets of a buffer whose length was checked on reading.
fn le16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn le64(bytes: &[u8], at: usize) -> u64 {
    u64::from(le32(bytes, at)) | (u64::from(le32(bytes, at + 4)) << 32)
}

#[cfg(test)]
mod tests;
