use callvault_shared::api::{
    LONGEST_GRACE_DAYS, LONGEST_KEEP_DAYS, RetentionPolicy, RetentionRule, RetentionSettings,
    RetentionUpdate,
};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use super::rule_row::{RuleDraft, RuleRow};
use crate::api;
use crate::components::problem::Problem;

/// Days as typed: empty is forever.
fn days_typed(typed: &str, what: &str) -> Result<Option<u32>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    match typed.parse::<u32>() {
        Ok(days) if (1..=LONGEST_KEEP_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!(
            "{what}: a number of days from 1 to {LONGEST_KEEP_DAYS}, or empty for forever."
        )),
    }
}

/// The form as the update it would send, or what is wrong with it.
fn update_of(days: &str, rules: &[RuleDraft], grace: &str) -> Result<RetentionUpdate, String> {
    let keep_days = days_typed(days, "Keep recordings")?;
    let rules = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| {
            let tag = rule.tag.get().trim().to_owned();
            let direction = rule.direction.get();
            if tag.is_empty() && direction.is_none() {
                return Err(format!(
                    "Rule {}: name a tag, a direction or both.",
                    index + 1
                ));
            }
            Ok(RetentionRule {
                tag: (!tag.is_empty()).then_some(tag),
                direction,
                keep_days: days_typed(&rule.days.get(), &format!("Rule {}", index + 1))?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let grace_days = match grace.trim().parse::<u32>() {
        Ok(days) if days <= LONGEST_GRACE_DAYS => days,
        _ => return Err(format!("Grace: 0 to {LONGEST_GRACE_DAYS} days.")),
    };
    Ok(RetentionUpdate {
        policy: RetentionPolicy { keep_days, rules },
        grace_days: Some(grace_days),
    })
}

/// The form that changes the policy, with the count of what saving it would delete.
#[component]
pub fn PolicyForm(
    tenant: Memo<String>,
    settings: RetentionSettings,
    save: Action<RetentionUpdate, Result<RetentionSettings, api::ApiError>>,
) -> impl IntoView {
    // The form starts from what will be in force: the pending policy, if there is one.
    let start = settings
        .pending
        .as_ref()
        .map_or(&settings.policy, |pending| &pending.policy)
        .clone();
    let days = RwSignal::new(start.keep_days.map(|d| d.to_string()).unwrap_or_default());
    let next_key = StoredValue::new(start.rules.len());
    let rules = RwSignal::new(
        start
            .rules
            .iter()
            .enumerate()
            .map(|(key, rule)| RuleDraft::new(key, rule))
            .collect::<Vec<_>>(),
    );
    let grace = RwSignal::new(settings.grace_days.to_string());
    let update = Memo::new(move |_| update_of(&days.get(), &rules.get(), &grace.get()));
    let preview = LocalResource::new(move || {
        let (tenant, update) = (tenant.get(), update.get());
        async move {
            match update {
                Ok(update) => Some(api::preview_retention(&tenant, &update).await),
                Err(_) => None,
            }
        }
    });
    let add_rule = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rules.update(|rules| {
            rules.push(RuleDraft::new(
                key,
                &RetentionRule {
                    tag: None,
                    direction: None,
                    keep_days: None,
                },
            ))
        });
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if let Ok(update) = update.get_untracked() {
            save.dispatch(update);
        }
    };

    view! {
        <details class="fold" open=true>
        <summary class="button-like">"Change the policy"</summary>
        <form id="retention-form" class="form" on:submit=on_submit>
            <label for="keep-days">"Keep recordings for (days after the call started; empty: forever)"</label>
            <input id="keep-days" type="number" min="1" max=LONGEST_KEEP_DAYS.to_string() inputmode="numeric"
                placeholder="forever" prop:value=days on:input=move |event| days.set(event_target_value(&event)) />
            <fieldset id="retention-rules">
                <legend>"Rules: longer or shorter for some calls"</legend>
                <p class="muted">"A call that matches a rule is kept as the rule says; when several match, the longest keep wins."</p>
                <For each=move || rules.get() key=|rule| rule.key let:rule>
                    <RuleRow rule on_remove=move || rules.update(|list| list.retain(|r| r.key != rule.key)) />
                </For>
                <button type="button" class="secondary" id="add-rule" on:click=add_rule>"Add a rule"</button>
            </fieldset>
            <label for="grace-days">"Grace before a shorter policy applies (days)"</label>
            <input id="grace-days" type="number" min="0" max=LONGEST_GRACE_DAYS.to_string() inputmode="numeric"
                prop:value=grace on:input=move |event| grace.set(event_target_value(&event)) />
            // A boundary of its own: counting again as the person types must not suspend the
            // form around it (which would build it again and lose what they typed).
            <div id="retention-preview" role="status" aria-live="polite">
                <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>
                {move || match update.get() {
                    Err(problem) => view! { <p class="error">{problem}</p> }.into_any(),
                    Ok(_) => match preview.get() {
                        None | Some(None) => view! { <p class="muted">"Counting…"</p> }.into_any(),
                        Some(Some(Ok(preview))) if preview.recordings == 0 => view! {
                            <p>"Saving this deletes no recording that the policy in force keeps."</p>
                        }.into_any(),
                        Some(Some(Ok(preview))) => view! {
                            <p class="warning"><strong>{format!(
                                "Saving this deletes {} {} that the policy in force keeps, from {} UTC.",
                                preview.recordings,
                                if preview.recordings == 1 { "recording" } else { "recordings" },
                                preview.applies_from.format("%Y-%m-%d %H:%M"),
                            )}</strong>" Held recordings are not counted: they stay."</p>
                        }.into_any(),
                        Some(Some(Err(error))) => view! { <Problem error /> }.into_any(),
                    },
                }}
                </Transition>
            </div>
            <button type="submit" disabled=move || save.pending().get() || update.read().is_err()>"Save the policy"</button>
            {move || save.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
        </form>
        </details>
    }
}
