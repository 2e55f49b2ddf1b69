//! Minimal WAV files (PCM, 16-bit, mono), for synthetic calls: the demo's, and the test
//! audio of the server's and the browser's tests. The server never writes audio itself.

/// The sample rate of telephone audio, which every synthetic call uses.
pub const RATE: u32 = 8000;

/// `samples` at [`RATE`] as a WAV file: the 44-byte header, then the samples little-endian.
pub fn encode(samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX);
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // the fmt chunk's length
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

/// `count` samples of a sine tone of `hertz`, at a quarter of full scale.
pub fn tone(count: usize, hertz: f64) -> Vec<i16> {
    (0..count)
        .map(|n| {
            let t = n as f64 / f64::from(RATE);
            ((std::f64::consts::TAU * hertz * t).sin() * 8000.0) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_tone_is_a_44_byte_header_and_16000_bytes() {
        let wav = encode(&tone(8000, 440.0));
        assert_eq!(wav.len(), 44 + 16_000);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]),
            16_000
        );
    }
}
