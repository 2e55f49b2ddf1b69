use callvault_shared::api::Direction;
use chrono::NaiveDateTime;
use leptos::html::Input;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, UploadMetadata, files};
use crate::components::filter_field::direction_options;
use crate::hooks::Reload;

/// One file on its way: its name, how much is sent, and how it ended.
#[derive(Clone)]
struct Sending {
    name: String,
    sent: RwSignal<f64>,
    outcome: RwSignal<Option<Result<String, ApiError>>>,
}

/// Uploads recordings from the page: files chosen or dropped, each with its progress, all with
/// the metadata typed here. The server recognises the audio; a file it refuses says why.
#[component]
pub fn Upload(tenant: Memo<String>, reload: Reload) -> impl IntoView {
    let input = NodeRef::<Input>::new();
    let metadata = RwSignal::new(UploadMetadata::default());
    let (started, set_started) = signal(String::new());
    let (metadata_error, set_metadata_error) = signal(Option::<String>::None);
    let sending = RwSignal::new(Vec::<Sending>::new());
    let (over, set_over) = signal(false);

    let send = move |files: Vec<web_sys::File>| {
        let mut details = metadata.get_untracked();
        details.started_at = match started.get_untracked().as_str() {
            "" => None,
            text => match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
                Ok(at) => Some(at.and_utc()),
                Err(_) => {
                    set_metadata_error.set(Some(format!("“{text}” is not a date and time.")));
                    return;
                }
            },
        };
        set_metadata_error.set(None);
        for file in files {
            let entry = Sending {
                name: file.name(),
                sent: RwSignal::new(0.0),
                outcome: RwSignal::new(None),
            };
            sending.update(|list| list.push(entry.clone()));
            let (tenant, details) = (tenant.get_untracked(), details.clone());
            leptos::task::spawn_local(async move {
                let sent = entry.sent;
                let result = api::upload_recording(&tenant, &file, &details, move |fraction| {
                    sent.set(fraction)
                })
                .await
                .map(|recording| {
                    if recording.sealed {
                        "Stored, sealed.".to_owned()
                    } else {
                        "Stored in plaintext (encryption is off).".to_owned()
                    }
                });
                if result.is_ok() {
                    sent.set(1.0);
                    reload.now();
                }
                entry.outcome.set(Some(result));
            });
        }
    };
    let chosen = move || files::all(input.get_untracked().and_then(|input| input.files()));
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let files = chosen();
        if files.is_empty() {
            set_metadata_error.set(Some("Choose or drop one or more audio files first.".into()));
            return;
        }
        send(files);
        if let Some(input) = input.get_untracked() {
            input.set_value("");
        }
    };
    let on_drop = move |event: web_sys::DragEvent| {
        event.prevent_default();
        set_over.set(false);
        let files = files::all(event.data_transfer().and_then(|transfer| transfer.files()));
        if !files.is_empty() {
            send(files);
        }
    };
    let text = move |id: &'static str,
                     label: &'static str,
                     set: fn(&mut UploadMetadata, Option<String>)| {
        view! {
            <label for=id>{label}
                <input id=id type="text" autocomplete="off"
                    on:input=move |event| { let value = event_target_value(&event); metadata.update(|m| set(m, (!value.is_empty()).then_some(value))); } />
            </label>
        }
    };
    view! {
        <form id="upload" class="form upload" on:submit=on_submit>
            <div class="drop-zone" class:over=over
                on:dragover=move |event: web_sys::DragEvent| { event.prevent_default(); set_over.set(true); }
                on:dragleave=move |_| set_over.set(false)
                on:drop=on_drop>
                <label for="upload-files">"Audio files (WAV, MP3, Ogg/Opus, FLAC, M4A, WebM): choose them, or drop them here"</label>
                <input id="upload-files" type="file" multiple accept="audio/*,.wav,.mp3,.ogg,.opus,.flac,.m4a,.webm" node_ref=input />
            </div>
            <fieldset class="metadata">
                <legend>"About the calls (applies to every file sent together)"</legend>
                <label for="upload-started">"Started (UTC)"
                    <input id="upload-started" type="datetime-local" prop:value=started
                        on:input=move |event| set_started.set(event_target_value(&event)) />
                </label>
                <label for="upload-direction">"Direction"
                    <select id="upload-direction" on:change=move |event| {
                        let direction = Direction::from_name(&event_target_value(&event));
                        metadata.update(|m| m.direction = direction);
                    }>
                        {direction_options("Not said")}
                    </select>
                </label>
                {text("upload-caller", "Caller", |m, v| m.caller = v)}
                {text("upload-callee", "Callee", |m, v| m.callee = v)}
                {text("upload-agent", "Agent", |m, v| m.agent = v)}
                {text("upload-tags", "Tags (comma-separated)", |m, v| m.tags = v)}
            </fieldset>
            <button type="submit" id="upload-submit">"Upload"</button>
            {move || metadata_error.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <ul class="uploads" aria-live="polite">
                {move || sending.get().into_iter().map(|entry| {
                    let outcome = entry.outcome;
                    view! {
                        <li class="upload-item" class:failed=move || matches!(outcome.get(), Some(Err(_)))>
                            <span class="upload-name">{entry.name.clone()}</span>
                            <progress max="1" value=move || entry.sent.get() aria-label=format!("Sending {}", entry.name)></progress>
                            <span class="upload-outcome">{move || match outcome.get() {
                                None => "Sending…".to_owned(),
                                Some(Ok(done)) => done,
                                Some(Err(error)) => error.to_string(),
                            }}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </form>
    }
}
