use leptos::html::Dialog;
use leptos::prelude::*;

/// A button for a far-reaching action: it asks first, in a modal dialog that names the
/// consequence, and acts only on the second, explicit choice. With `typed`, the person types
/// that text (a key's fingerprint, say) before the action is allowed, as for a destroy.
#[component]
pub fn ConfirmButton(
    /// What the button says.
    #[prop(into)]
    label: String,
    /// The dialog's question, such as "Revoke ada's grant?".
    #[prop(into)]
    title: String,
    /// What will follow, in words.
    #[prop(into)]
    consequence: String,
    /// What the confirming button says, such as "Revoke".
    #[prop(into)]
    confirm: String,
    /// Runs on confirmation.
    on_confirm: impl Fn() + 'static,
    #[prop(optional, into)] class: String,
    /// The button's accessible name, when its text alone is ambiguous in a list.
    #[prop(optional, into)]
    aria_label: Option<String>,
    /// Text the person types to allow the action.
    #[prop(optional, into)]
    typed: Option<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let (answer, set_answer) = signal(String::new());
    let needed = typed.clone();
    let allowed = move || {
        needed
            .as_deref()
            .is_none_or(|text| answer.get().trim() == text)
    };
    let open = move |_| {
        set_answer.set(String::new());
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = move || {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    let danger = typed.is_some();
    let name = title.clone();
    view! {
        <button type="button" class=format!("{class} confirm-trigger") aria-label=aria_label
            disabled=disabled on:click=open>{label}</button>
        <dialog class="confirm" node_ref=dialog aria-label=name on:close=move |_| set_answer.set(String::new())>
            <form method="dialog" on:submit=move |event| {
                event.prevent_default();
                close();
                on_confirm();
            }>
                <h2 class="confirm-title">{title}</h2>
                <p class="confirm-consequence">{consequence}</p>
                {typed.map(|text| view! {
                    <label class="confirm-typed">
                        {format!("Type {text} to confirm")}
                        <input type="text" class="confirm-answer" autocomplete="off" spellcheck="false"
                            prop:value=answer on:input=move |event| set_answer.set(event_target_value(&event)) />
                    </label>
                })}
                <div class="confirm-actions">
                    <button type="button" class="secondary confirm-cancel" on:click=move |_| close()>"Cancel"</button>
                    <button type="submit" class=if danger { "danger confirm-ok" } else { "confirm-ok" }
                        disabled=move || !allowed()>{confirm}</button>
                </div>
            </form>
        </dialog>
    }
}
