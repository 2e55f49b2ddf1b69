use callvault_shared::crypto::RustCrypto;
use callvault_shared::keys::{KeyFile, import_key};
use callvault_shared::sealed;
use leptos::prelude::*;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;

/// Plays a recording sealed with a tenant-held key: the key file is opened here, the sealed
/// file fetched, and the audio decrypted in the page and played from memory. Nothing private
/// is sent anywhere.
#[component]
pub fn LocalPlayer(tenant: Memo<String>, recording: ReadSignal<Option<String>>) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let (passphrase, set_passphrase) = signal(String::new());
    let open = Action::new_local(move |id: &String| {
        let (tenant, id, passphrase) = (
            tenant.get_untracked(),
            id.clone(),
            passphrase.get_untracked(),
        );
        let chosen = file
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|list| list.get(0));
        async move {
            let chosen =
                chosen.ok_or_else(|| ApiError::Network("choose the key file first".into()))?;
            let pem = files::read_text(&chosen).await.map_err(ApiError::Network)?;
            let sealed_file = api::stored_file(&tenant, &id).await?;
            files::yield_to_paint().await;
            let key = match import_key::<RustCrypto>(pem.as_bytes(), Some(passphrase.as_bytes()))
                .map_err(|error| ApiError::Network(error.to_string()))?
            {
                KeyFile::Private(key) => key,
                KeyFile::Public(_) => {
                    return Err(ApiError::Network(
                        "that is a public key: the private key file is needed".into(),
                    ));
                }
            };
            let mut audio = Vec::new();
            let opened = sealed::open(&key, sealed_file.as_slice(), &mut audio)
                .map_err(|error| ApiError::Network(error.to_string()))?;
            files::object_url(&audio, &opened.header.content_type).map_err(ApiError::Network)
        }
    });
    Effect::new(move |_| {
        if let Some(id) = recording.get() {
            open.dispatch(id);
        }
    });
    view! {
        <details class="local-player" open=true>
            <summary>"Play with your own key file (tenant-held keys)"</summary>
            <div class="form">
                <label for="local-key-file">"Private key file"</label>
                <input id="local-key-file" type="file" accept=".pem,.key" node_ref=file />
                <label for="local-key-passphrase">"Its passphrase"</label>
                <input id="local-key-passphrase" type="password" autocomplete="off" prop:value=passphrase
                    on:input=move |event| set_passphrase.set(event_target_value(&event)) />
                <p>"Then choose “Play here” on a recording: it is opened in this page, never on the server."</p>
            </div>
            <Show when=move || open.pending().get()>
                <p role="status"><progress aria-label="Opening the recording"></progress>" Opening…"</p>
            </Show>
            {move || open.value().get().map(|result| match result {
                Ok(url) => view! { <audio id="local-player" controls autoplay src=url></audio> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </details>
    }
}
