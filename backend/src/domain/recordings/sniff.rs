//! Recognising audio from its first bytes, whatever the client declared: the stored content
//! type drives playback, so it must be what the bytes are.

/// Bytes enough to recognise every supported container.
pub const NEEDED: usize = 16;

/// Every media type callvault stores and serves recordings as.
pub const SUPPORTED: [&str; 6] = [
    "audio/wav",
    "audio/flac",
    "audio/ogg",
    "audio/webm",
    "audio/mp4",
    "audio/mpeg",
];

/// The media type of a supported audio container, or `None`.
pub fn audio_type(head: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WAVE" {
        Some("audio/wav")
    } else if starts(b"fLaC") {
        Some("audio/flac")
    } else if starts(b"OggS") {
        Some("audio/ogg")
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("audio/webm")
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        Some("audio/mp4")
    } else if starts(b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else {
        None
    }
}

/// A WAV file's duration from its `fmt ` byte rate and `data` size, when its header says.
pub fn wav_duration_ms(head: &[u8]) -> Option<u64> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(head.get(at..at + 4)?.try_into().ok()?))
    };
    let mut position = 12;
    let mut byte_rate = None;
    while position + 8 <= head.len() {
        let id = head.get(position..position + 4)?;
        let size = u32_at(position + 4)? as usize;
        match id {
            b"fmt " => byte_rate = u32_at(position + 16),
            b"data" => {
                let rate = u64::from(byte_rate.filter(|rate| *rate > 0)?);
                return Some(size as u64 * 1000 / rate);
            }
            _ => {}
        }
        position += 8 + size + size % 2;
    }
    None
}

/// A FLAC file's duration from its STREAMINFO block (sample rate and total samples).
pub fn flac_duration_ms(head: &[u8]) -> Option<u64> {
    // "fLaC", then the first metadata block, which is always STREAMINFO: 4 header bytes, then
    // 10 bytes of block and frame sizes, then 20 bits of sample rate, 3 of channels, 5 of bits
    // per sample and 36 of total samples.
    let info = head.get(8..8 + 18)?;
    let rate =
        (u64::from(info[10]) << 12) | (u64::from(info[11]) << 4) | (u64::from(info[12]) >> 4);
    let total = (u64::from(info[13] & 0x0F) << 32)
        | (u64::from(info[14]) << 24)
        | (u64::from(info[15]) << 16)
        | (u64::from(info[16]) << 8)
        | u64::from(info[17]);
    (rate > 0 && total > 0).then(|| total * 1000 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(seconds: u32) -> Vec<u8> {
        let rate = 8000u32;
        let data = rate * seconds * 2;
        let mut bytes = b"RIFF".to_vec();
        bytes.extend_from_slice(&(36 + data).to_le_bytes());
        bytes.extend_from_slice(b"WAVEfmt ");
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&rate.to_le_bytes());
        bytes.extend_from_slice(&(rate * 2).to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&16u16.to_le_bytes());
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&data.to_le_bytes());
        bytes
    }

    #[test]
    fn containers_are_told_apart_by_their_bytes() {
        assert_eq!(audio_type(&wav(1)), Some("audio/wav"));
        assert_eq!(audio_type(b"fLaC\0\0\0\x22"), Some("audio/flac"));
        assert_eq!(audio_type(b"OggS\0\x02\0\0"), Some("audio/ogg"));
        assert_eq!(audio_type(b"ID3\x04\0\0\0\0"), Some("audio/mpeg"));
        assert_eq!(audio_type(b"\0\0\0\x20ftypM4A "), Some("audio/mp4"));
        assert_eq!(
            audio_type(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]),
            Some("audio/webm")
        );
        assert_eq!(audio_type(b"%PDF-1.7 not audio"), None);
        assert_eq!(audio_type(b"RIFF\0\0\0\0AVI LIST"), None);
    }

    #[test]
    fn a_flac_streaminfo_gives_the_duration() {
        // 44.1 kHz, 2 channels, 16 bits, 441,000 samples: 10 s.
        let mut head = b"fLaC\x00\x00\x00\x22".to_vec();
        head.extend_from_slice(&[0x10, 0x00, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
        let rate = 44_100u64;
        let total = 441_000u64;
        head.push((rate >> 12) as u8);
        head.push((rate >> 4) as u8);
        head.push((((rate & 0x0F) << 4) as u8) | (1 << 1));
        head.push(0xF0 | ((total >> 32) as u8 & 0x0F));
        head.extend_from_slice(&(total as u32).to_be_bytes());
        assert_eq!(flac_duration_ms(&head), Some(10_000));
        assert_eq!(flac_duration_ms(b"fLaC"), None);
    }

    #[test]
    fn a_wav_header_gives_the_duration() {
        assert_eq!(wav_duration_ms(&wav(3)), Some(3000));
        assert_eq!(wav_duration_ms(b"RIFF\0\0\0\0WAVE"), None);
    }
}
