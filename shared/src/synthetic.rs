//! Synthetic calls in the compressed containers (silent MP3, Ogg/Opus of empty packets),
//! built byte by byte: valid containers whose length is known, for the tests of the server's
//! length reading and of upload. No encoder is needed, and none is shipped.

/// `frames` silent MPEG-1 Layer III frames, 44.1 kHz, 128 kbit/s: 1,152 samples each.
pub fn mp3(frames: usize) -> Vec<u8> {
    let mut frame = vec![0u8; 417];
    frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    frame.repeat(frames)
}

/// An Ogg page of `packets`, each in one segment.
fn ogg_page(serial: u32, sequence: u32, granule: u64, flags: u8, packets: &[&[u8]]) -> Vec<u8> {
    let mut page = b"OggS\0".to_vec();
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&serial.to_le_bytes());
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    page.push(packets.len() as u8);
    for packet in packets {
        page.push(packet.len() as u8);
    }
    for packet in packets {
        page.extend_from_slice(packet);
    }
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// The Ogg page checksum: CRC-32, polynomial 0x04C11DB7, unreflected, no final xor.
fn ogg_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in bytes {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Mono Ogg/Opus of `packets` 20 ms packets (each a TOC byte and one filler byte).
pub fn ogg_opus(packets: usize) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1]);
    head.extend_from_slice(&0u16.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]);
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&4u32.to_le_bytes());
    tags.extend_from_slice(b"test");
    tags.extend_from_slice(&0u32.to_le_bytes());
    // Configuration 1 (SILK narrowband, 20 ms), one frame.
    let packet: &[u8] = &[1 << 3, 0];
    let mut file = ogg_page(7, 0, 0, 2, &[&head]);
    file.extend(ogg_page(7, 1, 0, 0, &[&tags]));
    let per_page = 50;
    let mut sequence = 2;
    let mut done = 0;
    while done < packets {
        let count = per_page.min(packets - done);
        done += count;
        let last = done == packets;
        let granule = (done * 960) as u64;
        file.extend(ogg_page(
            7,
            sequence,
            granule,
            if last { 4 } else { 0 },
            &vec![packet; count],
        ));
        sequence += 1;
    }
    file
}
