use std::sync::Arc;

use callvault_shared::api::Recording;
use callvault_shared::crypto::{KeyError, RustCrypto};
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use callvault_shared::sealed::{self, OpenError};
use leptos::prelude::*;

use crate::api::{self, ApiError, files};
use crate::components::player::{AudioSource, Playing};
use crate::components::problem::Problem;

/// Opens a recording sealed with a tenant-held key for the docked player: the key file is
/// opened here, the sealed file fetched, and the audio decrypted in the page and played from
/// memory. Nothing private is sent anywhere.
#[component]
pub fn LocalPlayer(
    tenant: Memo<String>,
    /// The recording whose "Play here" was chosen last.
    recording: ReadSignal<Option<Recording>>,
    /// Where an opened recording goes: the page's player.
    play: WriteSignal<Option<Playing>>,
) -> impl IntoView {
    let file = NodeRef::<leptos::html::Input>::new();
    let (passphrase, set_passphrase) = signal(String::new());
    let open = Action::new_local(move |recording: &Recording| {
        let (tenant, recording, passphrase) = (
            tenant.get_untracked(),
            recording.clone(),
            passphrase.get_untracked(),
        );
        async move {
            let id = recording.id.to_string();
            let pem = files::read_chosen(
                file,
                "Choose your private key file above, then “Play here” again.",
            )
            .await?;
            files::yield_to_paint().await;
            let key = private_key(&pem, &passphrase)?;
            let sealed_file = api::stored_file(&tenant, &id).await?;
            files::yield_to_paint().await;
            let mut audio = Vec::new();
            let opened = sealed::open(&key, sealed_file.as_slice(), &mut audio)
                .map_err(|error| ApiError::local(cannot_open(error)))?;
            let url =
                files::object_url(&audio, &opened.header.content_type).map_err(ApiError::local)?;
            play.set(Some(Playing {
                recording,
                source: AudioSource::Opened {
                    url,
                    audio: Arc::new(audio),
                },
            }));
            Ok::<(), ApiError>(())
        }
    });
    Effect::new(move |_| {
        if let Some(recording) = recording.get() {
            open.dispatch(recording);
        }
    });
    view! {
        // Folded on a phone, so that the calls come first.
        <details class="local-player" open=crate::components::layout::wide_screen()>
            <summary>"Play with your own key file (tenant-held keys)"</summary>
            <div class="form">
                <label for="local-key-file">"Private key file"</label>
                <input id="local-key-file" type="file" accept=".pem,.key" node_ref=file />
                <label for="local-key-passphrase">"Its passphrase"</label>
                <input id="local-key-passphrase" type="password" autocomplete="off" prop:value=passphrase
                    on:input=move |event| set_passphrase.set(event_target_value(&event)) />
                <p>"Then choose “Play here” on a recording: it is opened in this page, never on the server, and plays in the player below."</p>
            </div>
            <Show when=move || open.pending().get()>
                <p role="status"><progress aria-label="Opening the recording"></progress>" Opening…"</p>
            </Show>
            {move || open.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
        </details>
    }
}

/// The private key in a chosen key file, or what is wrong with the file or its passphrase.
fn private_key(file: &[u8], passphrase: &str) -> Result<RsaPrivateKey<RustCrypto>, ApiError> {
    let passphrase = (!passphrase.is_empty()).then_some(passphrase.as_bytes());
    match import_key::<RustCrypto>(file, passphrase) {
        Ok(KeyFile::Private(key)) => Ok(key),
        Ok(KeyFile::Public(_)) => Err(ApiError::local(
            "That is a public key: the private key file is needed to play.",
        )),
        Err(KeyError::NeedsPassphrase) => Err(ApiError::local(
            "This key file is encrypted: type its passphrase above, then “Play here” again.",
        )),
        Err(KeyError::WrongPassphrase) => Err(ApiError::local(
            "Wrong passphrase for this key file (or the file is damaged).",
        )),
        Err(error) => Err(ApiError::local(format!(
            "This key file cannot be used: {error}."
        ))),
    }
}

/// Why a sealed recording did not open with the key given, in words.
fn cannot_open(error: OpenError) -> String {
    match error {
        OpenError::NotForThisKey { sealed_for, given } => {
            let sealed_for = sealed_for
                .iter()
                .map(|fingerprint| fingerprint.to_hex()[..16].to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "This key file is not this recording's key: it holds the key {}, and the recording \
                 is sealed for {sealed_for}. Choose the key of this recording (not another tenant's, \
                 nor another of your keys).",
                &given.to_hex()[..16]
            )
        }
        OpenError::Decrypt(_) => {
            "The recording does not open with this key: it is damaged or incomplete.".to_owned()
        }
        error => format!("The recording cannot be opened: {error}."),
    }
}
