use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Bars across the overview: enough to find a pause or a raised voice, few enough to draw at once.
pub const BARS: usize = 160;

/// Larger recordings get no overview: decoding them whole would cost the page too much memory.
pub const LARGEST: usize = 64 * 1024 * 1024;

/// The loudest sample of each of [`BARS`] stretches of `audio` (any format the browser plays),
/// from 0 to 1 relative to the loudest of all. Decoded by the browser's Web Audio, at a low rate
/// (an overview needs no more), in this page: nothing of it goes anywhere.
pub async fn peaks(audio: &[u8]) -> Result<Vec<f32>, String> {
    const RATE: f32 = 8_000.0;
    let cannot = |_| "the browser could not decode this audio for its overview".to_owned();
    let context =
        web_sys::OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(
            1, 1, RATE,
        )
        .map_err(cannot)?;
    let bytes = js_sys::Uint8Array::from(audio).buffer();
    let decoded = JsFuture::from(context.decode_audio_data(&bytes).map_err(cannot)?)
        .await
        .map_err(cannot)?;
    let buffer: web_sys::AudioBuffer = decoded.dyn_into().map_err(cannot)?;
    let samples = buffer.get_channel_data(0).map_err(cannot)?;
    Ok(bucket_peaks(&samples, BARS))
}

/// The loudest absolute sample of each of `bars` equal stretches, scaled so that the loudest
/// is 1 (silence stays 0).
fn bucket_peaks(samples: &[f32], bars: usize) -> Vec<f32> {
    if samples.is_empty() || bars == 0 {
        return vec![0.0; bars];
    }
    let per_bar = samples.len().div_ceil(bars);
    let mut peaks: Vec<f32> = samples
        .chunks(per_bar)
        .map(|stretch| {
            stretch
                .iter()
                .fold(0.0f32, |loudest, s| loudest.max(s.abs()))
        })
        .collect();
    peaks.resize(bars, 0.0);
    let loudest = peaks.iter().copied().fold(0.0f32, f32::max);
    if loudest > 0.0 {
        peaks.iter_mut().for_each(|peak| *peak /= loudest);
    }
    peaks
}

/// The overview: a bar per stretch, those already heard marked; a click seeks to that point
/// (`on_seek` gets the fraction, 0 to 1). The audio element beside it stays the accessible
/// control, so this one is hidden from assistive technology.
#[component]
pub fn Waveform(
    peaks: Vec<f32>,
    /// How far the playback is, 0 to 1.
    position: Signal<f64>,
    on_seek: Callback<f64>,
) -> impl IntoView {
    let count = peaks.len().max(1);
    let bars = peaks
        .into_iter()
        .enumerate()
        .map(|(index, peak)| {
            // At least a hairline, so that silence still reads as part of the call.
            let height = (peak * 96.0).max(2.0);
            let heard = move || (index as f64 + 0.5) / count as f64 <= position.get();
            view! {
                <rect x=index.to_string() y=format!("{:.1}", 50.0 - height / 2.0) width="0.7"
                    height=format!("{height:.1}") class:heard=heard />
            }
        })
        .collect_view();
    let seek = move |event: web_sys::MouseEvent| {
        let Some(target) = event
            .current_target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let area = target.get_bounding_client_rect();
        if area.width() > 0.0 {
            let fraction = (f64::from(event.client_x()) - area.left()) / area.width();
            on_seek.run(fraction.clamp(0.0, 1.0));
        }
    };
    view! {
        <svg id="waveform" class="waveform" viewBox=format!("0 0 {count} 100") preserveAspectRatio="none"
            aria-hidden="true" on:click=seek>
            {bars}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_peaks;

    #[test]
    fn each_bar_is_the_loudest_of_its_stretch_relative_to_the_loudest() {
        let samples = [0.1, -0.5, 0.2, 0.0, 0.25, -0.1, 0.0, 0.0];
        assert_eq!(bucket_peaks(&samples, 4), vec![1.0, 0.4, 0.5, 0.0]);
        assert_eq!(bucket_peaks(&[], 3), vec![0.0; 3]);
        assert_eq!(bucket_peaks(&[0.0; 10], 2), vec![0.0, 0.0]);
        // Fewer samples than bars: the rest are silent, never missing.
        assert_eq!(bucket_peaks(&[0.5], 3), vec![1.0, 0.0, 0.0]);
    }
}
