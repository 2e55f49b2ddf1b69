use callvault_shared::api::{KeyExport, MIN_EXPORT_PASSPHRASE};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;

/// Exports a key as a file encrypted under a passphrase, for safekeeping. Nothing shown on
/// the screen changes, so its message stays.
#[component]
pub fn ExportForm(tenant: String, key_id: String, short: String) -> impl IntoView {
    let (passphrase, set_passphrase) = signal(String::new());
    let (again, set_again) = signal(String::new());
    let export = Action::new_local(move |passphrase: &String| {
        let (tenant, id, short, passphrase) = (
            tenant.clone(),
            key_id.clone(),
            short.clone(),
            passphrase.clone(),
        );
        async move {
            if passphrase.chars().count() < MIN_EXPORT_PASSPHRASE {
                return Err(ApiError::local(format!(
                    "The passphrase needs at least {MIN_EXPORT_PASSPHRASE} characters."
                )));
            }
            let pem = api::export_key(&tenant, &id, &KeyExport { passphrase }).await?;
            files::save(
                pem.as_bytes(),
                &format!("callvault-{short}.pem"),
                "application/x-pem-file",
            )
            .map_err(ApiError::local)?;
            Ok::<_, ApiError>(())
        }
    });
    // Once the file is saved, the passphrase has no business staying on the screen.
    Effect::new(move |_| {
        if let Some(Ok(())) = export.value().get() {
            set_passphrase.set(String::new());
            set_again.set(String::new());
        }
    });
    let mismatch = move || !again.get().is_empty() && passphrase.get() != again.get();
    let strength = move || match passphrase.get().chars().count() {
        0 => "",
        n if n < MIN_EXPORT_PASSPHRASE => "too short",
        n if n < 20 => "fair",
        _ => "strong",
    };
    let on_export = move |event: SubmitEvent| {
        event.prevent_default();
        if !mismatch() {
            export.dispatch(passphrase.get_untracked());
        }
    };
    view! {
        <form class="form export" on:submit=on_export>
            <h3>"Export for safekeeping"</h3>
            <label>{format!("Passphrase for the file (at least {MIN_EXPORT_PASSPHRASE} characters)")}
                <input type="password" class="export-passphrase" autocomplete="new-password" prop:value=passphrase
                    on:input=move |event| set_passphrase.set(event_target_value(&event)) />
            </label>
            <span class="strength" aria-live="polite">{strength}</span>
            <label>"The same passphrase again"
                <input type="password" class="export-again" autocomplete="new-password" prop:value=again
                    on:input=move |event| set_again.set(event_target_value(&event)) />
            </label>
            <Show when=mismatch>
                <p class="error" role="alert">"The two passphrases differ."</p>
            </Show>
            <button type="submit" disabled=export.pending()>"Export key file"</button>
            {move || export.value().get().map(|result| match result {
                Ok(()) => view! { <p role="status" class="exported">"Exported. Keep the file and its passphrase apart."</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
        </form>
    }
}
