//! Sending files from the page with progress (recordings, archives): `fetch` reports none for
//! what it sends, so these requests go through `XMLHttpRequest` and its upload events.

use callvault_shared::api::{Direction, ImportOutcome, Problem, Recording};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::{ApiError, CSRF_HEADER, csrf_token, url, with_query};

/// What the person says about the call, sent as the upload's query parameters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
}

/// Uploads `file` as the raw body (the browser streams it), calling `progress` with the
/// fraction sent as it goes. The server recognises the audio from its bytes.
pub async fn upload_recording(
    tenant: &str,
    file: &web_sys::File,
    metadata: &UploadMetadata,
    progress: impl Fn(f64) + 'static,
) -> Result<Recording, ApiError> {
    let path = with_query(&format!("/tenants/{tenant}/recordings"), metadata)?;
    let media_type = match file.type_() {
        declared if declared.starts_with("audio/") => declared,
        _ => "application/octet-stream".to_owned(),
    };
    send_file(&path, file, &media_type, progress).await
}

/// Imports a sealed archive as it is (an archive can be larger than the page's memory),
/// with progress as [`upload_recording`].
pub async fn import_recordings(
    tenant: &str,
    archive: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> Result<ImportOutcome, ApiError> {
    let path = format!("/tenants/{tenant}/recordings/import");
    send_file(&path, archive, "application/zip", progress).await
}

/// POSTs `file` to `path` as a body of `media_type`, with the session's CSRF token, reporting
/// the fraction sent; the answer as `T`, or the problem the server described.
async fn send_file<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::File,
    media_type: &str,
    progress: impl Fn(f64) + 'static,
) -> Result<T, ApiError> {
    let token = csrf_token().await?;
    let request = web_sys::XmlHttpRequest::new()
        .map_err(|_| ApiError::local("This browser cannot upload files."))?;
    let unsent = |_| ApiError::local("The upload could not be started.");
    request.open("POST", &url(path)).map_err(unsent)?;
    request
        .set_request_header(CSRF_HEADER, &token)
        .map_err(unsent)?;
    request
        .set_request_header("Content-Type", media_type)
        .map_err(unsent)?;
    let on_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
            if event.length_computable() && event.total() > 0.0 {
                progress(event.loaded() / event.total());
            }
        });
    if let Ok(upload) = request.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    // Settles when the request ends, whichever way.
    let finished = js_sys::Promise::new(&mut |resolve, _reject| {
        request.set_onloadend(Some(&resolve));
    });
    request.send_with_opt_blob(Some(file)).map_err(unsent)?;
    let _ = wasm_bindgen_futures::JsFuture::from(finished).await;
    drop(on_progress);
    let status = request.status().unwrap_or(0);
    let body = request.response_text().ok().flatten().unwrap_or_default();
    if status == 0 {
        return Err(ApiError::Network("the upload was cut off".to_owned()));
    }
    if !(200..300).contains(&status) {
        let problem = serde_json::from_str::<Problem>(&body).unwrap_or_else(|_| {
            Problem::new(status, request.status_text().unwrap_or_default(), None)
        });
        return Err(ApiError::Problem(problem));
    }
    serde_json::from_str(&body)
        .map_err(|_| ApiError::local("The server's answer to the upload was not understood."))
}
