//! The pieces of a filter form: a text or date field bound to one field of the form's draft,
//! and the choice of a call's direction.

use callvault_shared::api::Direction;
use leptos::prelude::*;

/// A labelled input showing `get` of the draft and writing what is typed with `set`; the
/// draft is applied when the form is submitted.
pub fn filter_field<F: Send + Sync + 'static>(
    draft: RwSignal<F>,
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    get: fn(&F) -> &String,
    set: fn(&mut F, String),
) -> impl IntoView {
    view! {
        <label for=id>{label}
            <input id=id type=kind prop:value=move || get(&draft.read()).clone()
                on:input=move |event| { let value = event_target_value(&event); draft.update(|filters| set(filters, value)); } />
        </label>
    }
}

/// The options of a direction choice: `none` (any, or not said) and each direction.
pub fn direction_options(none: &'static str) -> impl IntoView {
    view! {
        <option value="">{none}</option>
        {Direction::ALL.into_iter().map(|direction| view! {
            <option value=direction.as_str()>{direction.label()}</option>
        }).collect_view()}
    }
}
