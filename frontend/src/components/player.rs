use leptos::prelude::*;

use crate::api;

/// Plays a recording as the server streams it, decrypted in flight: the audio element asks
/// for ranges as the person seeks, and the session cookie goes along.
#[component]
pub fn Player(tenant: String, recording: String) -> impl IntoView {
    let src = api::audio_url(&tenant, &recording);
    view! {
        <figure class="player">
            <audio id="player" controls autoplay preload="auto" src=src></audio>
            <figcaption>{format!("Recording {recording}")}</figcaption>
        </figure>
    }
}
