use callvault_shared::api::{Direction, LONGEST_KEEP_DAYS, RetentionRule};
use leptos::prelude::*;

/// One rule as it is being edited: the days as typed, so that a half-typed number stays.
#[derive(Debug, Clone, Copy)]
pub struct RuleDraft {
    pub key: usize,
    pub tag: RwSignal<String>,
    pub direction: RwSignal<Option<Direction>>,
    pub days: RwSignal<String>,
}

impl RuleDraft {
    pub fn new(key: usize, rule: &RetentionRule) -> Self {
        Self {
            key,
            tag: RwSignal::new(rule.tag.clone().unwrap_or_default()),
            direction: RwSignal::new(rule.direction),
            days: RwSignal::new(rule.keep_days.map(|d| d.to_string()).unwrap_or_default()),
        }
    }
}

/// One rule of the form.
#[component]
pub fn RuleRow(rule: RuleDraft, on_remove: impl Fn() + 'static) -> impl IntoView {
    view! {
        <div class="inline-form retention-rule">
            <label>"Tag"
                <input class="rule-tag" maxlength="64" autocomplete="off" placeholder="trading"
                    prop:value=rule.tag on:input=move |event| rule.tag.set(event_target_value(&event)) />
            </label>
            <label>"Direction"
                <select class="rule-direction" on:change=move |event| {
                    rule.direction.set(Direction::from_name(&event_target_value(&event)))
                }>
                    <option value="" selected=move || rule.direction.get().is_none()>"Any"</option>
                    {Direction::ALL.into_iter().map(|direction| view! {
                        <option value=direction.as_str() selected=move || rule.direction.get() == Some(direction)>{direction.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Keep (days; empty: forever)"
                <input class="rule-days" type="number" min="1" max=LONGEST_KEEP_DAYS.to_string() inputmode="numeric"
                    placeholder="forever" prop:value=rule.days on:input=move |event| rule.days.set(event_target_value(&event)) />
            </label>
            <button type="button" class="secondary" aria-label="Remove this rule" on:click=move |_| on_remove()>"Remove"</button>
        </div>
    }
}
