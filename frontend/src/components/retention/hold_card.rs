use callvault_shared::api::LegalHold;
use leptos::prelude::*;

use super::held_recordings::HeldRecordingList;
use crate::components::confirm::ConfirmButton;

/// The criteria of a hold, in words.
fn chosen_by(hold: &LegalHold) -> String {
    let mut parts = Vec::new();
    let ids = hold.criteria.recording_ids.len();
    if ids > 0 {
        parts.push(format!(
            "{ids} {} by id",
            if ids == 1 { "recording" } else { "recordings" }
        ));
    }
    if let Some(search) = &hold.criteria.search {
        let mut terms = Vec::new();
        for (name, value) in [
            ("caller", &search.caller),
            ("callee", &search.callee),
            ("agent", &search.agent),
            ("tag", &search.tag),
        ] {
            if let Some(value) = value {
                terms.push(format!("{name} {value}"));
            }
        }
        if let Some(from) = search.from {
            terms.push(format!("from {}", from.format("%Y-%m-%d")));
        }
        if let Some(to) = search.to {
            terms.push(format!("before {}", to.format("%Y-%m-%d")));
        }
        parts.push(format!("every call with {}", terms.join(", ")));
    }
    parts.join("; and ")
}

/// One hold: its name, reason and who placed it, what it keeps, and its release.
#[component]
pub fn HoldCard(
    tenant: Memo<String>,
    hold: LegalHold,
    on_release: impl Fn(String) + 'static,
) -> impl IntoView {
    let id = hold.id.to_string();
    let in_force = hold.released_at.is_none();
    let placed = format!(
        "Placed by {} on {} UTC",
        hold.placed_by,
        hold.placed_at.format("%Y-%m-%d %H:%M")
    );
    let released = hold.released_at.map(|at| {
        format!(
            "Released by {} on {} UTC",
            hold.released_by.clone().unwrap_or_default(),
            at.format("%Y-%m-%d %H:%M")
        )
    });
    let (open, set_open) = signal(false);
    view! {
        <li class="hold" class:released=!in_force data-hold=hold.id.to_string()>
            <div class="key-head">
                <strong class="hold-name">{hold.name.clone()}</strong>
                {if in_force {
                    view! { <span class="badge">"in force"</span> }.into_any()
                } else {
                    view! { <span class="badge muted">"released"</span> }.into_any()
                }}
            </div>
            <p class="hold-reason">{hold.reason.clone()}</p>
            <p class="muted">{chosen_by(&hold)}</p>
            <p class="muted">{placed}{released.map(|released| format!(". {released}"))}</p>
            {in_force.then(|| {
                let id = id.clone();
                view! {
                    <details class="held" on:toggle=move |event| {
                        let element: web_sys::HtmlDetailsElement = wasm_bindgen::JsCast::unchecked_into(event_target::<web_sys::HtmlElement>(&event));
                        set_open.set(element.open());
                    }>
                        <summary>"The recordings it keeps"</summary>
                        <Show when=move || open.get()>
                            <HeldRecordingList tenant hold=id.clone() />
                        </Show>
                    </details>
                }
            })}
            {in_force.then(|| {
                let (id, name) = (id.clone(), hold.name.clone());
                view! {
                    <ConfirmButton label="Release" class="secondary release-hold"
                        aria_label=format!("Release the hold {name}")
                        title=format!("Release the hold “{name}”?")
                        consequence="What it keeps becomes subject to the retention policy and to deletion again; what has expired meanwhile goes at the next run. The hold stays on record.".to_owned()
                        confirm="Release" on_confirm=move || on_release(id.clone()) />
                }
            })}
        </li>
    }
}
