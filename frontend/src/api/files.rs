//! Files in the page: reading the ones the person chooses, and handing bytes to them as a
//! file to save, without them ever leaving the page.

use leptos::html::Input;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::ApiError;

/// The file chosen in a `<input type=file>`, or [`ApiError::Local`] with `missing` when none
/// is. Read it with [`read`], or send it as it is (the browser streams it).
pub fn chosen(input: NodeRef<Input>, missing: &str) -> Result<web_sys::File, ApiError> {
    input
        .get_untracked()
        .and_then(|input| input.files())
        .and_then(|list| list.get(0))
        .ok_or_else(|| ApiError::local(missing))
}

/// Every file of a list (chosen or dropped); none without one.
pub fn all(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    list.map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
        .unwrap_or_default()
}

/// The bytes of a chosen file.
pub async fn read(file: &web_sys::File) -> Result<Vec<u8>, ApiError> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| ApiError::local(format!("The file {} cannot be read.", file.name())))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The bytes of the file chosen in `input`: [`chosen`], then [`read`].
pub async fn read_chosen(input: NodeRef<Input>, missing: &str) -> Result<Vec<u8>, ApiError> {
    read(&chosen(input, missing)?).await
}

/// An object URL for `bytes`, for an audio element to play from memory.
pub fn object_url(bytes: &[u8], media_type: &str) -> Result<String, String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser cannot hold the audio".to_owned())?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "no object URL".to_owned())
}

/// Lets the page repaint (a progress message) before a long computation on its only thread.
pub async fn yield_to_paint() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Offers `bytes` as a download named `name`.
pub fn save(bytes: &[u8], name: &str, media_type: &str) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser cannot hold the file".to_owned())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser cannot offer the file".to_owned())?;
    let clicked = click_download(&url, name);
    let _ = web_sys::Url::revoke_object_url(&url);
    clicked
}

/// Lets the browser fetch `url` as a download (the server names the file).
pub fn open(url: &str) -> Result<(), String> {
    click_download(url, "")
}

/// Clicks a download link to `href`; an empty `name` keeps the server's.
fn click_download(href: &str, name: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no link")?
        .dyn_into()
        .map_err(|_| "no link")?;
    link.set_href(href);
    link.set_download(name);
    link.click();
    Ok(())
}
