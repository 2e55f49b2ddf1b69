use callvault_shared::api::{HoldSearch, NewLegalHold};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use uuid::Uuid;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError};
use crate::components::problem::Problem;

/// The start of a day typed as `YYYY-MM-DD`, in UTC, a day later with `next`.
fn day(typed: &str, next: bool) -> Result<Option<DateTime<Utc>>, ApiError> {
    if typed.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .map_err(|_| ApiError::local(format!("“{typed}” is not a date: choose one.")))?;
    let day = if next {
        day + chrono::Days::new(1)
    } else {
        day
    };
    Ok(Some(day.and_time(chrono::NaiveTime::MIN).and_utc()))
}

/// The fields of the form, as typed.
#[derive(Debug, Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    reason: RwSignal<String>,
    ids: RwSignal<String>,
    caller: RwSignal<String>,
    callee: RwSignal<String>,
    agent: RwSignal<String>,
    tag: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Fields {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
            ids: RwSignal::new(String::new()),
            caller: RwSignal::new(String::new()),
            callee: RwSignal::new(String::new()),
            agent: RwSignal::new(String::new()),
            tag: RwSignal::new(String::new()),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
        }
    }

    /// The hold the form describes; the server checks the rest (a name, a reason, criteria).
    fn hold(self) -> Result<NewLegalHold, ApiError> {
        let recording_ids = self
            .ids
            .get_untracked()
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|id| !id.is_empty())
            .map(|id| {
                Uuid::parse_str(id)
                    .map_err(|_| ApiError::local(format!("“{id}” is not a recording id (a UUID).")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let text = |field: RwSignal<String>| {
            let value = field.get_untracked().trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        let search = HoldSearch {
            caller: text(self.caller),
            callee: text(self.callee),
            agent: text(self.agent),
            tag: text(self.tag),
            from: day(&self.from.get_untracked(), false)?,
            to: day(&self.to.get_untracked(), true)?,
        };
        Ok(NewLegalHold {
            name: self.name.get_untracked(),
            reason: self.reason.get_untracked(),
            recording_ids,
            search: (search != HoldSearch::default()).then_some(search),
        })
    }

    fn clear(self) {
        for field in [
            self.name,
            self.reason,
            self.ids,
            self.caller,
            self.callee,
            self.agent,
            self.tag,
            self.from,
            self.to,
        ] {
            field.set(String::new());
        }
    }
}

/// Places a hold on recordings by id, by a saved search, or both.
#[component]
pub fn NewHoldForm(tenant: Memo<String>, on_placed: impl Fn() + 'static) -> impl IntoView {
    let fields = Fields::new();
    let place = Action::new_local(move |hold: &Result<NewLegalHold, ApiError>| {
        let (tenant, hold) = (tenant.get_untracked(), hold.clone());
        async move { api::place_hold(&tenant, &hold?).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = place.value().get() {
            fields.clear();
            on_placed();
        }
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        place.dispatch(fields.hold());
    };
    let input = |id: &'static str, label: &'static str, field: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id maxlength="200" autocomplete="off" prop:value=field
                on:input=move |event| field.set(event_target_value(&event)) />
        }
    };
    let date = |id: &'static str, label: &'static str, field: RwSignal<String>| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="date" prop:value=field
                on:input=move |event| field.set(event_target_value(&event)) />
        }
    };

    view! {
        <details class="fold">
        <summary class="button-like">"Place a hold"</summary>
        <form id="new-hold" class="form" on:submit=on_submit>
            {input("hold-name", "Name", fields.name)}
            <label for="hold-reason">"Reason (a case, a subpoena, a request)"</label>
            <textarea id="hold-reason" required maxlength="2000" rows="2" prop:value=fields.reason
                on:input=move |event| fields.reason.set(event_target_value(&event))></textarea>
            <label for="hold-ids">"Recordings by id (one per line, or separated by commas)"</label>
            <textarea id="hold-ids" rows="2" spellcheck="false" prop:value=fields.ids
                on:input=move |event| fields.ids.set(event_target_value(&event))></textarea>
            <fieldset>
                <legend>"And every call that fits this search, now and later (exact values)"</legend>
                {input("hold-caller", "Caller", fields.caller)}
                {input("hold-callee", "Callee", fields.callee)}
                {input("hold-agent", "Agent", fields.agent)}
                {input("hold-tag", "Tag", fields.tag)}
                {date("hold-from", "Started on or after (UTC)", fields.from)}
                {date("hold-to", "Started on or before (UTC)", fields.to)}
            </fieldset>
            <button type="submit" disabled=move || place.pending().get()>"Place the hold"</button>
            {move || place.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
        </form>
        </details>
    }
}
