use callvault_shared::api::Recording;
use leptos::html::Audio;
use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;

/// Speeds the player offers.
const SPEEDS: [f64; 5] = [0.75, 1.0, 1.25, 1.5, 2.0];

/// Plays a recording as the server streams it, decrypted in flight: the audio element asks
/// for ranges as the person seeks, and the session cookie goes along. Docked at the bottom
/// of the screen, it names the call, skips ten seconds either way and changes speed; keys:
/// space or k plays and pauses, j and l skip back and on. When the server will not play it
/// (no grant), the reason is shown instead.
#[component]
pub fn Player(tenant: String, recording: Recording) -> impl IntoView {
    let id = recording.id.to_string();
    let src = api::audio_url(&tenant, &id);
    let probe = {
        let (tenant, id) = (tenant.clone(), id.clone());
        LocalResource::new(move || {
            let (tenant, id) = (tenant.clone(), id.clone());
            async move { api::probe_audio(&tenant, &id).await }
        })
    };
    let audio = NodeRef::<Audio>::new();
    let (speed, set_speed) = signal(1.0f64);
    let skip = move |seconds: f64| {
        if let Some(audio) = audio.get_untracked() {
            audio.set_current_time((audio.current_time() + seconds).max(0.0));
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
    let caption = format!(
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
    );
    view! {
        <figure class="player docked" tabindex="0" aria-label="Player" on:keydown=on_key>
            <figcaption id="player-caption">{caption}</figcaption>
            {move || probe.get().map(|result| match result {
                Ok(()) => view! {
                    <div class="player-controls">
                        <button type="button" class="secondary" id="skip-back" aria-label="Back 10 seconds" on:click=move |_| skip(-10.0)>"−10 s"</button>
                        <audio id="player" node_ref=audio controls autoplay preload="auto" src=src.clone()></audio>
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
                }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </figure>
    }
}
