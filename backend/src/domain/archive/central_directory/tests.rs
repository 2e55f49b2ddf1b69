//! The scanner against archives written by the `zip` crate (streamed as an export is, and with
//! more entries than a classic end record can count) and by hand (ZIP64 everywhere), and
//! against every truncation and byte flip of a small archive: it refuses, never panics.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;
use crate::domain::archive::entry_reader::EntryReader;

const MANY: usize = 100_000;

fn data_of(archive: &[u8], entry: &Entry) -> Vec<u8> {
    let mut cursor = Cursor::new(archive);
    let mut data = Vec::new();
    EntryReader::open(&mut cursor, entry)
        .and_then(|mut reader| reader.read_to_end(&mut data))
        .expect("the entry reads");
    data
}

/// What `write.rs` writes: a stream, with ZIP64 fields and data descriptors.
fn streamed(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    let mut zip = ZipWriter::new_stream(Vec::new());
    for (name, data) in entries {
        zip.start_file(*name, options).expect("started");
        zip.write_all(data).expect("written");
    }
    zip.finish().expect("finished").into_inner()
}

#[test]
fn a_streamed_archive_of_ours_is_listed_with_its_data() {
    let archive = streamed(&[
        ("recordings/a.audio", b"RIFF audio"),
        ("manifest.json", b"{}"),
    ]);
    let entries = scan(&mut Cursor::new(&archive), MANY).expect("scanned");
    let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
    assert_eq!(names, ["recordings/a.audio", "manifest.json"]);
    assert!(entries.iter().all(Entry::is_stored));
    assert_eq!(data_of(&archive, &entries[0]), b"RIFF audio");
    assert_eq!(data_of(&archive, &entries[1]), b"{}");
}

#[test]
fn more_entries_than_a_classic_end_record_counts_are_read_from_the_zip64_end_record() {
    let count = usize::from(u16::MAX) + 2;
    let names: Vec<String> = (0..count).map(|index| format!("{index}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), &b""[..])).collect();
    let archive = streamed(&entries);
    let end = &archive[archive.len() - 22..];
    assert_eq!(
        le16(end, 10),
        MAX16,
        "the classic end record defers to ZIP64"
    );
    let scanned = scan(&mut Cursor::new(&archive), MANY).expect("scanned");
    assert_eq!(scanned.len(), count);
    assert_eq!(scanned[count - 1].name, names[count - 1]);
    let limited = scan(&mut Cursor::new(&archive), 1000);
    assert!(
        matches!(limited, Err(ScanError::Invalid(reason)) if reason.contains("more than 1000"))
    );
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// One entry with every size and offset in ZIP64 fields, and ZIP64 end records whose classic
/// counterpart holds only sentinels. `count` is what the classic end record claims.
fn zip64_by_hand(data: &[u8], count: u16) -> Vec<u8> {
    let name = b"recordings/a.audio";
    let len = data.len() as u64;
    let crc = crc32fast::hash(data);
    let mut out = Vec::new();
    put32(&mut out, LOCAL);
    for field in [45, 0, 0, 0, 0x21] {
        put16(&mut out, field);
    }
    put32(&mut out, crc);
    put32(&mut out, MAX32);
    put32(&mut out, MAX32);
    put16(&mut out, name.len() as u16);
    put16(&mut out, 20);
    out.extend_from_slice(name);
    put16(&mut out, ZIP64_EXTRA);
    put16(&mut out, 16);
    put64(&mut out, len);
    put64(&mut out, len);
    out.extend_from_slice(data);

    let directory_at = out.len() as u64;
    put32(&mut out, CENTRAL);
    for field in [45, 45, 0, 0, 0, 0x21] {
        put16(&mut out, field);
    }
    put32(&mut out, crc);
    put32(&mut out, MAX32);
    put32(&mut out, MAX32);
    for field in [name.len() as u16, 28, 0, 0, 0] {
        put16(&mut out, field);
    }
    put32(&mut out, 0);
    put32(&mut out, MAX32);
    out.extend_from_slice(name);
    put16(&mut out, ZIP64_EXTRA);
    put16(&mut out, 24);
    put64(&mut out, len);
    put64(&mut out, len);
    put64(&mut out, 0);
    let directory_size = out.len() as u64 - directory_at;

    let zip64_at = out.len() as u64;
    put32(&mut out, ZIP64_END);
    put64(&mut out, 44);
    put16(&mut out, 45);
    put16(&mut out, 45);
    put32(&mut out, 0);
    put32(&mut out, 0);
    put64(&mut out, 1);
    put64(&mut out, 1);
    put64(&mut out, directory_size);
    put64(&mut out, directory_at);
    put32(&mut out, ZIP64_LOCATOR);
    put32(&mut out, 0);
    put64(&mut out, zip64_at);
    put32(&mut out, 1);
    put32(&mut out, END);
    for field in [MAX16, MAX16, count, count] {
        put16(&mut out, field);
    }
    put32(&mut out, MAX32);
    put32(&mut out, MAX32);
    put16(&mut out, 0);
    out
}

#[test]
fn zip64_sizes_offsets_and_end_records_are_read() {
    let data = b"RIFF\0\0\0\0WAVE and then some audio";
    let archive = zip64_by_hand(data, MAX16);
    let entries = scan(&mut Cursor::new(&archive), MANY).expect("scanned");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.name, "recordings/a.audio");
    assert_eq!(
        (entry.header_offset, entry.size, entry.compressed_size),
        (0, data.len() as u64, data.len() as u64)
    );
    assert_eq!(entry.data_offset, 30 + 18 + 20);
    assert_eq!(data_of(&archive, entry), data);
}

#[test]
fn an_end_record_that_contradicts_its_zip64_record_is_refused() {
    let archive = zip64_by_hand(b"audio", 2);
    let refused = scan(&mut Cursor::new(&archive), MANY);
    assert!(matches!(refused, Err(ScanError::Invalid(reason)) if reason.contains("disagree")));
}

#[test]
fn a_sentinel_without_its_zip64_value_is_refused() {
    let mut archive = zip64_by_hand(b"audio", MAX16);
    // The central record's ZIP64 field shrinks to the two sizes: the offset has no value.
    let field_at = archive.len() - 22 - 20 - 56 - 24 - 2;
    archive[field_at..field_at + 2].copy_from_slice(&16u16.to_le_bytes());
    let refused = scan(&mut Cursor::new(&archive), MANY);
    assert!(
        matches!(refused, Err(ScanError::Invalid(reason)) if reason.contains("ZIP64 value is missing"))
    );
}

#[test]
fn no_truncation_or_flipped_byte_makes_the_scan_panic() {
    let archive = streamed(&[
        ("recordings/a.audio", b"RIFF audio"),
        ("manifest.json", b"{}"),
    ]);
    for len in 0..archive.len() {
        assert!(
            scan(&mut Cursor::new(&archive[..len]), MANY).is_err(),
            "cut at {len}"
        );
    }
    for at in 0..archive.len() {
        let mut flipped = archive.clone();
        flipped[at] ^= 0xFF;
        // Some flips (a date, a version) change nothing that matters; none may panic, and
        // any that passes still lists entries that lie inside the archive.
        if let Ok(entries) = scan(&mut Cursor::new(&flipped), MANY) {
            for entry in entries {
                assert!(entry.data_offset + entry.compressed_size <= flipped.len() as u64);
            }
        }
    }
}
