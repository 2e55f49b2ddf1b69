use chrono::NaiveDate;
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError};
use crate::components::filter_field::filter_field;
use crate::components::problem::Problem;
use crate::components::tenant_nav::tenant_param;
use crate::session::tenant_title;

/// Records per page.
const PAGE_SIZE: &str = "50";

/// The audit filters as typed (empty when unset); dates are whole days in UTC.
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    actor: String,
    action: String,
    since: String,
    until: String,
}

impl Filters {
    /// The filters as query pairs, as both the page and the export take them.
    fn pairs(&self) -> Result<Vec<(&'static str, String)>, ApiError> {
        let mut pairs = Vec::new();
        for (name, value) in [("actor", &self.actor), ("action", &self.action)] {
            if !value.trim().is_empty() {
                pairs.push((name, value.trim().to_owned()));
            }
        }
        for (name, value, days) in [("since", &self.since, 0), ("until", &self.until, 1)] {
            if value.is_empty() {
                continue;
            }
            let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map_err(|_| ApiError::local(format!("“{value}” is not a date: choose one.")))?;
            let instant = (day + chrono::Days::new(days))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc();
            pairs.push((name, instant.to_rfc3339()));
        }
        Ok(pairs)
    }
}

/// A tenant's audit log, newest first: who did what to which object, from where; filtered,
/// paged, exported as JSON Lines, and its hash chain checked.
#[component]
pub fn AuditPage() -> impl IntoView {
    let tenant = tenant_param();
    let draft = RwSignal::new(Filters::default());
    let (applied, set_applied) = signal(Filters::default());
    // The `before` cursors of the pages before this one, and this page's.
    let (pages, set_pages) = signal(Vec::<i64>::new());
    let events = LocalResource::new(move || {
        let tenant = tenant.get();
        let filters = applied.get().pairs();
        let before = pages.get().last().copied();
        async move {
            let mut query = filters?;
            query.push(("limit", PAGE_SIZE.to_owned()));
            if let Some(before) = before {
                query.push(("before", before.to_string()));
            }
            api::audit(&tenant, &query).await
        }
    });
    let verdict = LocalResource::new(move || {
        let tenant = tenant.get();
        async move { api::verify_audit(&tenant).await }
    });
    let export_href = move || {
        let pairs = applied.get().pairs().unwrap_or_default();
        api::audit_export_url(&tenant.get(), &pairs)
    };
    let search = move |event: SubmitEvent| {
        event.prevent_default();
        set_pages.set(Vec::new());
        set_applied.set(draft.get_untracked());
    };
    let clear = move |_| {
        draft.set(Filters::default());
        set_pages.set(Vec::new());
        set_applied.set(Filters::default());
    };
    let title = tenant_title("Audit log");
    view! {
        <section class="panel" aria-labelledby="audit-title">
            <h1 id="audit-title">{title}</h1>
            <div class="chain-state" id="chain-state">
                {move || verdict.get().map(|result| match result {
                    Ok(verdict) if verdict.intact => view! { <p class="badge good" role="status">{format!("Chain intact: {} records checked", verdict.records_checked)}</p> }.into_any(),
                    Ok(verdict) => view! { <p class="badge bad" role="alert">{format!("Tampered with: {}", verdict.problems.iter().map(|p| format!("#{} {}", p.seq, p.problem)).collect::<Vec<_>>().join("; "))}</p> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
                <button id="verify-chain" type="button" class="secondary" on:click=move |_| verdict.refetch()>"Check again"</button>
                <a id="audit-export" class="button-like" href=export_href download="">"Export as JSON Lines"</a>
            </div>
            // On a phone the filters fold away behind one button, so the list comes first.
            <details class="fold filters-fold" open=crate::components::layout::wide_screen()>
                <summary class="button-like">"Filters"</summary>
            <form id="audit-filters" class="toolbar filters" role="search" on:submit=search>
                {filter_field(draft, "audit-actor", "Who (username)", "search", |f| &f.actor, |f, v| f.actor = v)}
                {filter_field(draft, "audit-action", "Action (e.g. key.grant)", "search", |f| &f.action, |f, v| f.action = v)}
                {filter_field(draft, "audit-since", "From (UTC)", "date", |f| &f.since, |f, v| f.since = v)}
                {filter_field(draft, "audit-until", "To (UTC)", "date", |f| &f.until, |f, v| f.until = v)}
                <div class="filter-actions">
                    <button type="submit">"Search"</button>
                    <button type="button" class="secondary" on:click=clear>"Clear"</button>
                </div>
            </form>
            </details>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || events.get().map(|result| match result {
                    Ok(page) if page.events.is_empty() => view! { <p class="empty" id="no-audit">"No record matches these filters."</p> }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor;
                        view! {
                            <table id="audit" class="cards-on-phone">
                                <thead><tr><th>"#"</th><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"On"</th><th>"Outcome"</th><th>"From"</th></tr></thead>
                                <tbody>
                                    {page.events.into_iter().map(|event| {
                                        let object = match (&event.object_type, &event.object_id) {
                                            (Some(kind), Some(id)) => format!("{kind} {}", id.get(..8).unwrap_or(id)),
                                            (Some(kind), None) => kind.clone(),
                                            _ => "–".to_owned(),
                                        };
                                        let full = event.object_id.clone().unwrap_or_default();
                                        view! {
                                            <tr>
                                                <td data-label="#">{event.seq}</td>
                                                <td data-label="When (UTC)">{event.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                <td data-label="Who">{event.actor}</td>
                                                <td data-label="What">{event.action}</td>
                                                <td data-label="On" title=full>{object}</td>
                                                <td data-label="Outcome">{event.outcome.as_str()}</td>
                                                <td data-label="From">{event.origin}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                <button type="button" class="secondary" id="audit-newer" disabled=move || pages.read().is_empty()
                                    on:click=move |_| set_pages.update(|pages| { pages.pop(); })>"Newer"</button>
                                <button type="button" class="secondary" id="audit-older" disabled=next.is_none()
                                    on:click=move |_| if let Some(next) = next { set_pages.update(|pages| pages.push(next)) }>"Older"</button>
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
