use std::sync::Arc;

use callvault_shared::api::Recording;
use leptos::html::Audio;
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem::Problem;
use crate::components::waveform::{self, Waveform};

/// Speeds the player offers.
const SPEEDS: [f64; 5] = [0.75, 1.0, 1.25, 1.5, 2.0];

/// Where the player's audio comes from.
#[derive(Clone)]
pub enum AudioSource {
    /// The server, decrypting in flight: the audio element asks for ranges as the person seeks,
    /// and the session cookie goes along.
    Server { tenant: String },
    /// This page, which opened the sealed file with a tenant-held key: the plaintext, and the
    /// object URL it plays from. Nothing of it left the page.
    Opened { url: String, audio: Arc<Vec<u8>> },
}

/// A recording in the player, and where its audio comes from.
#[derive(Clone)]
pub struct Playing {
    pub recording: Recording,
    pub source: AudioSource,
}

/// The docked player: it names the call, skips ten seconds either way, changes speed, and
/// draws an overview of the call to click in; keys: space or k plays and pauses, j and l (or
/// the arrows) skip back and on. The overview is computed here from the audio itself and
/// nowhere kept. When the server will not play the recording (no grant), the reason is shown
/// instead.
#[component]
pub fn Player(playing: Playing) -> impl IntoView {
    let Playing { recording, source } = playing;
    let id = recording.id.to_string();
    let src = match &source {
        AudioSource::Server { tenant } => api::audio_url(tenant, &id),
        AudioSource::Opened { url, .. } => url.clone(),
    };
    let probe = {
        let (source, id) = (source.clone(), id.clone());
        LocalResource::new(move || {
            let (source, id) = (source.clone(), id.clone());
            async move {
                match source {
                    AudioSource::Server { tenant } => api::probe_audio(&tenant, &id).await,
                    AudioSource::Opened { .. } => Ok(()),
                }
            }
        })
    };
    let small_enough =
        usize::try_from(recording.size_bytes).is_ok_and(|size| size <= waveform::LARGEST);
    let overview = LocalResource::new(move || {
        let (source, id) = (source.clone(), id.clone());
        async move { overview_of(source, &id, small_enough).await }
    });
    let audio = NodeRef::<Audio>::new();
    let (speed, set_speed) = signal(1.0f64);
    let (position, set_position) = signal(0.0f64);
    let skip = move |seconds: f64| {
        if let Some(audio) = audio.get_untracked() {
            audio.set_current_time((audio.current_time() + seconds).max(0.0));
        }
    };
    let seek = Callback::new(move |fraction: f64| {
        if let Some(audio) = audio.get_untracked()
            && audio.duration().is_finite()
        {
            audio.set_current_time(fraction * audio.duration());
        }
    });
    let follow = move |_| {
        if let Some(audio) = audio.get_untracked()
            && audio.duration().is_finite()
            && audio.duration() > 0.0
        {
            set_position.set(audio.current_time() / audio.duration());
        }
    };
    let toggle = move || {
        if let Some(audio) = audio.get_untracked() {
            if audio.paused() {
                let _ = audio.play();
            } else {
                let _ = audio.pause();
            }
        }
    };
    Effect::new(move |_| {
        let rate = speed.get();
        if let Some(audio) = audio.get() {
            audio.set_playback_rate(rate);
        }
    });
    let on_key = move |event: web_sys::KeyboardEvent| match event.key().as_str() {
        " " | "k" => {
            event.prevent_default();
            toggle();
        }
        "j" | "ArrowLeft" => skip(-10.0),
        "l" | "ArrowRight" => skip(10.0),
        _ => {}
    };
    let caption = caption(&recording);
    view! {
        <figure class="player docked" tabindex="0" aria-label="Player" on:keydown=on_key>
            <figcaption id="player-caption">{caption}</figcaption>
            {move || probe.get().map(|result| match result {
                Ok(()) => view! {
                    <div class="player-controls">
                        <button type="button" class="secondary" id="skip-back" aria-label="Back 10 seconds" on:click=move |_| skip(-10.0)>"−10 s"</button>
                        <audio id="player" node_ref=audio controls autoplay preload="auto" src=src.clone()
                            on:timeupdate=follow on:durationchange=follow></audio>
                        <button type="button" class="secondary" id="skip-on" aria-label="On 10 seconds" on:click=move |_| skip(10.0)>"+10 s"</button>
                        <label class="speed">"Speed"
                            <select id="player-speed" on:change=move |event| {
                                if let Ok(rate) = event_target_value(&event).parse() { set_speed.set(rate) }
                            }>
                                {SPEEDS.into_iter().map(|rate| view! {
                                    <option value=rate.to_string() selected=rate == 1.0>{format!("{rate}×")}</option>
                                }).collect_view()}
                            </select>
                        </label>
                    </div>
                    {move || overview.get().map(|peaks| match peaks {
                        Ok(peaks) => view! { <Waveform peaks position=position.into() on_seek=seek /> }.into_any(),
                        Err(reason) => view! { <p class="waveform-note">{reason}</p> }.into_any(),
                    })}
                }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </figure>
    }
}

/// The overview's bars, or why there is none. The server's audio is fetched once more, whole:
/// the audio element streams ranges, which the page cannot read.
async fn overview_of(
    source: AudioSource,
    id: &str,
    small_enough: bool,
) -> Result<Vec<f32>, String> {
    if !small_enough {
        return Err("No overview: the recording is too large to draw in the page.".into());
    }
    let audio = match source {
        AudioSource::Server { tenant } => Arc::new(
            api::audio_bytes(&tenant, id)
                .await
                .map_err(|error: ApiError| format!("No overview: {error}"))?,
        ),
        AudioSource::Opened { audio, .. } => audio,
    };
    waveform::peaks(&audio)
        .await
        .map_err(|reason| format!("No overview: {reason}."))
}

/// "caller → callee · agent A · time": the call in words, for the caption.
fn caption(recording: &Recording) -> String {
    format!(
        "{} → {}{} · {}",
        recording
            .caller
            .clone()
            .unwrap_or_else(|| "unknown caller".into()),
        recording
            .callee
            .clone()
            .unwrap_or_else(|| "unknown callee".into()),
        recording
            .agent
            .as_ref()
            .map(|agent| format!(" · agent {agent}"))
            .unwrap_or_default(),
        recording
            .started_at
            .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "time unknown".into()),
    )
}
