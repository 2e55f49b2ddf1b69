use std::collections::BTreeSet;

use callvault_shared::api::{Direction, ExportRequest, RecordingQuery};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use leptos::prelude::*;

use crate::api::{self, ApiError, files};
use crate::components::archive_import::ArchiveImport;
use crate::components::local_player::LocalPlayer;
use crate::components::player::Player;
use crate::components::problem::Problem;
use crate::components::tenant_nav::{TenantNav, tenant_param};
use crate::hooks::Reload;

/// Recordings per page.
const PAGE_SIZE: u32 = 25;

/// The filters as typed (empty when unset), and the page, as the catalogue's query.
struct Filters {
    caller: String,
    callee: String,
    agent: String,
    direction: String,
    /// Days from the date inputs (`YYYY-MM-DD`).
    from: String,
    to: String,
    cursor: Option<String>,
}

impl Filters {
    fn query(self) -> Result<RecordingQuery, ApiError> {
        let text = |value: String| (!value.is_empty()).then_some(value);
        let direction = match self.direction.as_str() {
            "" => None,
            name => Some(Direction::from_name(name).ok_or_else(|| {
                ApiError::local(format!(
                    "“{name}” is not a direction: choose one in the list."
                ))
            })?),
        };
        // The dates as the start and end of those days in UTC.
        let start = NaiveTime::MIN;
        let end = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
        let cursor = match self.cursor {
            None => None,
            Some(cursor) => Some(cursor.parse().map_err(|_| {
                ApiError::local("The next page cannot be found: search again from the first.")
            })?),
        };
        Ok(RecordingQuery {
            from: day(&self.from, start)?,
            to: day(&self.to, end)?,
            caller: text(self.caller),
            callee: text(self.callee),
            agent: text(self.agent),
            direction,
            cursor,
            limit: Some(PAGE_SIZE),
            ..RecordingQuery::default()
        })
    }
}

/// The instant `time` (UTC) of the day a date input gives, if one is given.
fn day(date: &str, time: NaiveTime) -> Result<Option<DateTime<Utc>>, ApiError> {
    if date.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ApiError::local(format!("“{date}” is not a date: choose one.")))?;
    Ok(Some(date.and_time(time).and_utc()))
}

/// A tenant's recordings: search, pages, playback, and sealed downloads of a selection.
#[component]
pub fn RecordingsPage() -> impl IntoView {
    let tenant = tenant_param();
    let (caller, set_caller) = signal(String::new());
    let (callee, set_callee) = signal(String::new());
    let (agent, set_agent) = signal(String::new());
    let (direction, set_direction) = signal(String::new());
    let (from, set_from) = signal(String::new());
    let (to, set_to) = signal(String::new());
    let (cursor, set_cursor) = signal(Option::<String>::None);
    let reload = Reload::new();
    let page = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        // Every signal is read before any can fail, so that each change searches again.
        let query = Filters {
            caller: caller.get(),
            callee: callee.get(),
            agent: agent.get(),
            direction: direction.get(),
            from: from.get(),
            to: to.get(),
            cursor: cursor.get(),
        }
        .query();
        async move { api::recordings(&tenant, &query?).await }
    });
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (playing, set_playing) = signal(Option::<String>::None);
    let (local, set_local) = signal(Option::<String>::None);
    let download = Action::new_local(move |ids: &Vec<String>| {
        let (tenant, ids) = (tenant.get_untracked(), ids.clone());
        async move {
            let ids = ids
                .iter()
                .map(|id| id.parse())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    ApiError::local("The selection holds an unknown recording: reload the page.")
                })?;
            let request = ExportRequest {
                ids: Some(ids),
                filter: None,
            };
            let archive = api::export_recordings(&tenant, &request).await?;
            files::save(
                &archive,
                &format!("callvault-{tenant}-recordings.zip"),
                "application/zip",
            )
            .map_err(ApiError::local)?;
            Ok::<_, ApiError>(archive.len())
        }
    });

    view! {
        <section class="panel" aria-labelledby="recordings-title">
            <h1 id="recordings-title">{move || format!("Recordings of {}", tenant.get())}</h1>
            <TenantNav tenant=tenant.get_untracked() />
            <div class="toolbar">
                <label for="filter-caller">"Caller"</label>
                <input id="filter-caller" type="search" prop:value=caller
                    on:change=move |event| { set_cursor.set(None); set_caller.set(event_target_value(&event)); } />
                <label for="filter-callee">"Callee"</label>
                <input id="filter-callee" type="search" prop:value=callee
                    on:change=move |event| { set_cursor.set(None); set_callee.set(event_target_value(&event)); } />
                <label for="filter-agent">"Agent"</label>
                <input id="filter-agent" type="search" prop:value=agent
                    on:change=move |event| { set_cursor.set(None); set_agent.set(event_target_value(&event)); } />
                <label for="filter-direction">"Direction"</label>
                <select id="filter-direction" on:change=move |event| { set_cursor.set(None); set_direction.set(event_target_value(&event)); }>
                    <option value="">"Any"</option>
                    <option value="inbound">"Inbound"</option>
                    <option value="outbound">"Outbound"</option>
                    <option value="internal">"Internal"</option>
                </select>
                <label for="filter-from">"From"</label>
                <input id="filter-from" type="date" on:change=move |event| { set_cursor.set(None); set_from.set(event_target_value(&event)); } />
                <label for="filter-to">"To"</label>
                <input id="filter-to" type="date" on:change=move |event| { set_cursor.set(None); set_to.set(event_target_value(&event)); } />
                <button id="download-selected" type="button"
                    disabled=move || selected.get().is_empty() || download.pending().get()
                    on:click=move |_| { download.dispatch(selected.get_untracked().into_iter().collect()); }>
                    {move || if download.pending().get() { "Preparing…".to_owned() } else { format!("Download {} as encrypted ZIP", selected.get().len()) }}
                </button>
                {move || download.value().get().map(|result| match result {
                    Ok(bytes) => view! { <p role="status" id="download-done">{format!("Downloaded {bytes} bytes, still sealed.")}</p> }.into_any(),
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </div>
            <ArchiveImport tenant reload />
            <LocalPlayer tenant recording=local />
            {move || playing.get().map(|id| view! { <Player tenant=tenant.get_untracked() recording=id /> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => {
                        let next = page.next_cursor;
                        view! {
                            <table id="recordings">
                                <thead><tr><th>"Select"</th><th>"Started"</th><th>"Caller"</th><th>"Callee"</th><th>"Agent"</th><th>"Length"</th><th>"Sealed"</th><th>"Play"</th></tr></thead>
                                <tbody>
                                    {page.recordings.into_iter().map(|recording| {
                                        let id = recording.id.to_string();
                                        let (check_id, play_id, local_id) = (id.clone(), id.clone(), id.clone());
                                        let label = format!("Select recording {id}");
                                        view! {
                                            <tr class="recording" data-id=id.clone()>
                                                <td><input type="checkbox" class="select" aria-label=label
                                                    on:change=move |event| {
                                                        let on = event_target_checked(&event);
                                                        selected.update(|set| { if on { set.insert(check_id.clone()); } else { set.remove(&check_id); } });
                                                    } /></td>
                                                <td>{recording.started_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()}</td>
                                                <td>{recording.caller.unwrap_or_default()}</td>
                                                <td>{recording.callee.unwrap_or_default()}</td>
                                                <td>{recording.agent.unwrap_or_default()}</td>
                                                <td>{recording.duration_ms.map(|ms| format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)).unwrap_or_default()}</td>
                                                <td>{if recording.sealed { "yes" } else { "no" }}</td>
                                                <td>
                                                    <button type="button" class="play" on:click=move |_| set_playing.set(Some(play_id.clone()))>"Play"</button>
                                                    <button type="button" class="secondary play-here" on:click=move |_| set_local.set(Some(local_id.clone()))>"Play here"</button>
                                                    <a class="download" href=api::audio_download_url(&tenant.get_untracked(), &id) download="">"Download"</a>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {next.map(|next| view! {
                                <button type="button" class="secondary" id="next-page" on:click=move |_| set_cursor.set(Some(next.to_string()))>"Next page"</button>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
