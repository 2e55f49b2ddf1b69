//! A recording's length, read from its container by symphonia's demuxers while the plaintext
//! streams in on its way to being sealed: never from a stored or decrypted copy. WAV and FLAC
//! say their length in the header (see `sniff`); MP3, Ogg/Opus, M4A and WebM are walked
//! packet by packet, which costs a fraction of what sealing the same bytes does.

use std::io::Read;
use std::time::Duration;

use bytes::{Buf, Bytes};
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks in flight to the reader: enough to keep it busy, few enough to bound memory.
const CHUNKS_IN_FLIGHT: usize = 8;

/// How long the reader may take to finish once the upload has ended.
const FINISH_WITHIN: Duration = Duration::from_secs(10);

/// The reader of one upload's length, fed the plaintext chunk by chunk.
pub struct LengthReader {
    chunks: mpsc::Sender<Bytes>,
    reading: JoinHandle<Option<u64>>,
}

impl LengthReader {
    /// Starts reading an upload of `content_type`, for the containers whose header does not
    /// say the length.
    pub fn start(content_type: &str) -> Option<Self> {
        if !matches!(
            content_type,
            "audio/mpeg" | "audio/ogg" | "audio/mp4" | "audio/webm"
        ) {
            return None;
        }
        let (chunks, received) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let reading = tokio::task::spawn_blocking(move || length_ms(ChannelReader::new(received)));
        Some(Self { chunks, reading })
    }

    /// Where the upload's chunks go; a reader that gave up no longer takes them, and the
    /// upload goes on without it.
    pub fn feeder(&self) -> mpsc::Sender<Bytes> {
        self.chunks.clone()
    }

    /// The length in milliseconds, once every chunk is fed (every feeder dropped); `None`
    /// when the container does not tell or cannot be read.
    pub async fn finish(self) -> Option<u64> {
        drop(self.chunks);
        match tokio::time::timeout(FINISH_WITHIN, self.reading).await {
            Ok(Ok(length)) => length,
            // A demuxer that panicked or took too long on hostile input tells nothing.
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

/// The packets' end on the default track, in milliseconds.
fn length_ms(source: ChannelReader) -> Option<u64> {
    let stream = MediaSourceStream::new(Box::new(ReadOnlySource::new(source)), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .ok()?;
    let mut format = probed.format;
    let track = format.default_track()?;
    let (track_id, time_base, frames) = (
        track.id,
        track.codec_params.time_base?,
        track.codec_params.n_frames,
    );
    let mut end = 0u64;
    while let Ok(packet) = format.next_packet() {
        if packet.track_id() == track_id {
            end = end.max(packet.ts.saturating_add(packet.dur));
        }
    }
    let ticks = if end > 0 { end } else { frames? };
    let time = time_base.calc_time(ticks);
    Some(time.seconds.saturating_mul(1000) + (time.frac * 1000.0).round() as u64)
}

/// The chunks of the channel as one byte stream, for the demuxer's blocking thread.
struct ChannelReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    fn new(chunks: mpsc::Receiver<Bytes>) -> Self {
        Self {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use callvault_shared::synthetic::{mp3, ogg_opus};

    use super::*;

    async fn measure(content_type: &str, bytes: Vec<u8>, chunk: usize) -> Option<u64> {
        let reader = LengthReader::start(content_type).expect("a reader for this type");
        let feeder = reader.feeder();
        for piece in bytes.chunks(chunk) {
            let _ = feeder.send(Bytes::copy_from_slice(piece)).await;
        }
        drop(feeder);
        reader.finish().await
    }

    #[tokio::test]
    async fn an_mp3_is_measured_frame_by_frame_as_it_streams() {
        // 250 frames of 1,152 samples at 44.1 kHz: 6.531 s.
        let length = measure("audio/mpeg", mp3(250), 1000).await;
        assert_eq!(length, Some(6531));
    }

    #[tokio::test]
    async fn an_ogg_opus_is_measured_from_its_packets() {
        // 150 packets of 20 ms: 3 s.
        let length = measure("audio/ogg", ogg_opus(150), 333).await;
        assert_eq!(length, Some(3000));
    }

    #[tokio::test]
    async fn what_does_not_parse_has_no_length_and_does_not_hold_up_the_upload() {
        let garbage = (0..200_000u32).map(|n| (n * 7919 % 251) as u8).collect();
        assert_eq!(measure("audio/mp4", garbage, 4096).await, None);
        assert!(LengthReader::start("audio/wav").is_none());
    }
}
