use leptos::prelude::*;

use crate::api;
use crate::components::problem::Problem;

/// Plays a recording as the server streams it, decrypted in flight: the audio element asks
/// for ranges as the person seeks, and the session cookie goes along. When the server will
/// not play it (no grant, a tenant-held key), the reason is shown instead.
#[component]
pub fn Player(tenant: String, recording: String) -> impl IntoView {
    let src = api::audio_url(&tenant, &recording);
    let probe = {
        let (tenant, recording) = (tenant.clone(), recording.clone());
        LocalResource::new(move || {
            let (tenant, recording) = (tenant.clone(), recording.clone());
            async move { api::probe_audio(&tenant, &recording).await }
        })
    };
    view! {
        <figure class="player">
            {move || probe.get().map(|result| match result {
                Ok(()) => view! { <audio id="player" controls autoplay preload="auto" src=src.clone()></audio> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            <figcaption>{format!("Recording {recording}")}</figcaption>
        </figure>
    }
}
