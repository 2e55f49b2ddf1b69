use leptos::prelude::*;

/// Copies `text` to the clipboard, and says so.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    /// What is copied, for the button's accessible name ("Copy the fingerprint").
    #[prop(into)]
    what: String,
) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        let text = text.get_untracked();
        let clipboard = window().navigator().clipboard();
        let promise = clipboard.write_text(&text);
        wasm_bindgen_futures::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            set_copied.set(done);
        });
    };
    view! {
        <button type="button" class="secondary copy" aria-label=format!("Copy {what}") on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
