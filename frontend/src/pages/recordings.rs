use std::collections::BTreeSet;

use callvault_shared::api::{
    Direction, ExportRequest, KeyMode, OrderBy, Permission, Recording, RecordingQuery, Sort,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use leptos::prelude::*;
use web_sys::SubmitEvent;

use crate::api::{self, ApiError, files};
use crate::components::archive_import::ArchiveImport;
use crate::components::filter_field::{direction_options, filter_field};
use crate::components::local_player::LocalPlayer;
use crate::components::player::{AudioSource, Player, Playing};
use crate::components::problem::Problem;
use crate::components::tenant_nav::tenant_param;
use crate::components::upload::Upload;
use crate::hooks::Reload;
use crate::session::{tenant_title, use_session};

/// Recordings per page to choose from; the first is the default.
const PAGE_SIZES: [u32; 3] = [25, 50, 100];

/// How the list is ordered and which page of it is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
struct View {
    order_by: OrderBy,
    ascending: bool,
    page: u32,
    size: u32,
}

impl Default for View {
    fn default() -> Self {
        Self {
            order_by: OrderBy::StartedAt,
            ascending: false,
            page: 1,
            size: PAGE_SIZES[0],
        }
    }
}

/// The pages to offer a link to: the first, the last, and two either side of `current`;
/// `None` marks a gap.
fn page_links(current: u32, last: u32) -> Vec<Option<u32>> {
    let mut links = Vec::new();
    for page in 1..=last {
        let near = page.abs_diff(current) <= 2;
        if page == 1 || page == last || near {
            links.push(Some(page));
        } else if links.last() != Some(&None) {
            links.push(None);
        }
    }
    links
}

/// The filters as typed (empty when unset).
#[derive(Debug, Clone, Default, PartialEq)]
struct Filters {
    caller: String,
    callee: String,
    agent: String,
    direction: String,
    /// Days from the date inputs (`YYYY-MM-DD`), in UTC.
    from: String,
    to: String,
}

impl Filters {
    /// The catalogue's query for these filters, in `view`'s order and page.
    fn query(&self, view: View) -> Result<RecordingQuery, ApiError> {
        let text = |value: &String| (!value.is_empty()).then(|| value.clone());
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
        Ok(RecordingQuery {
            from: day(&self.from, start)?,
            to: day(&self.to, end)?,
            caller: text(&self.caller),
            callee: text(&self.callee),
            agent: text(&self.agent),
            direction,
            order_by: Some(view.order_by),
            sort: Some(if view.ascending {
                Sort::Oldest
            } else {
                Sort::Newest
            }),
            page: Some(view.page),
            limit: Some(view.size),
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

/// A call's length as m:ss.
fn length(ms: u64) -> String {
    format!("{}:{:02}", ms / 60_000, ms / 1000 % 60)
}

/// A tenant's recordings: search, pages, playback, upload, and sealed downloads of a
/// selection that stays as it is across filters and pages.
#[component]
pub fn RecordingsPage() -> impl IntoView {
    let tenant = tenant_param();
    let session = use_session();
    let draft = RwSignal::new(Filters::default());
    let (applied, set_applied) = signal(Filters::default());
    let view = RwSignal::new(View::default());
    let reload = Reload::new();
    let page = LocalResource::new(move || {
        reload.track();
        let tenant = tenant.get();
        let query = applied.get().query(view.get());
        async move { api::recordings(&tenant, &query?).await }
    });
    let settings = LocalResource::new(move || {
        let tenant = tenant.get();
        async move { api::encryption(&tenant).await.ok() }
    });
    let tenant_held = move || {
        settings
            .get()
            .flatten()
            .is_some_and(|settings| settings.mode == KeyMode::TenantHeld)
    };
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let (playing, set_playing) = signal(Option::<Playing>::None);
    let (local, set_local) = signal(Option::<Recording>::None);
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
            let count = ids.len();
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
            Ok::<_, ApiError>((count, archive.len()))
        }
    });
    // Asks the server first, so that a refusal is said on the page rather than ending in a
    // failed download.
    let download_audio = Action::new_local(move |id: &String| {
        let (tenant, id) = (tenant.get_untracked(), id.clone());
        async move {
            api::probe_audio(&tenant, &id).await?;
            files::open(&api::audio_download_url(&tenant, &id)).map_err(ApiError::local)
        }
    });
    let first_page = move || view.update(|view| view.page = 1);
    let search = move |event: SubmitEvent| {
        event.prevent_default();
        first_page();
        set_applied.set(draft.get_untracked());
    };
    let clear = move |_| {
        draft.set(Filters::default());
        first_page();
        set_applied.set(Filters::default());
    };
    // A column heading orders by its column, ascending; again, the other way.
    let heading = move |label: &'static str, column: OrderBy| {
        let sorted = move || {
            let now = view.get();
            (now.order_by == column).then_some(if now.ascending {
                "ascending"
            } else {
                "descending"
            })
        };
        view! {
            <th aria-sort=move || sorted().unwrap_or("none")>
                <button type="button" class="sort" data-column=format!("{column:?}")
                    on:click=move |_| view.update(|view| {
                        view.ascending = view.order_by != column || !view.ascending;
                        view.order_by = column;
                        view.page = 1;
                    })>
                    {label}
                    <span aria-hidden="true" class="sort-mark">{move || match sorted() {
                        Some("ascending") => " ▲",
                        Some(_) => " ▼",
                        None => "",
                    }}</span>
                </button>
            </th>
        }
    };
    let title = tenant_title("Recordings");
    let can_play = move || session.can(Permission::RecordingsPlay);

    let row = move |recording: Recording| {
        let id = recording.id.to_string();
        let (check_id, checked_id, download_id) = (id.clone(), id.clone(), id.clone());
        let label = format!(
            "Select the call of {} from {} to {}",
            recording
                .started_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            recording.caller.clone().unwrap_or_default(),
            recording.callee.clone().unwrap_or_default()
        );
        let row_uuid = recording.id;
        let is_playing = Memo::new(move |_| {
            playing
                .read()
                .as_ref()
                .is_some_and(|now| now.recording.id == row_uuid)
        });
        let to_play = recording.clone();
        view! {
            <tr class="recording" class:playing=move || is_playing.get() data-id=id.clone()
                aria-current=move || is_playing.get().then_some("true")>
                <td data-label="Select"><input type="checkbox" class="select" aria-label=label
                    prop:checked=move || selected.read().contains(&checked_id)
                    on:change=move |event| {
                        let on = event_target_checked(&event);
                        selected.update(|set| { if on { set.insert(check_id.clone()); } else { set.remove(&check_id); } });
                    } /></td>
                <td data-label="Started (UTC)">{recording.started_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()}</td>
                <td data-label="Caller">{recording.caller.clone().unwrap_or_default()}</td>
                <td data-label="Callee">{recording.callee.clone().unwrap_or_default()}</td>
                <td data-label="Agent">{recording.agent.clone().unwrap_or_default()}</td>
                <td data-label="Length">{recording.duration_ms.map(length).unwrap_or_else(|| "–".to_owned())}</td>
                <td data-label="Sealed">{if recording.sealed { "Sealed" } else { "Plaintext" }}</td>
                <td data-label="Play" class="row-actions">
                    {move || can_play().then(|| if tenant_held() {
                        let to_open = to_play.clone();
                        view! { <button type="button" class="play-here" on:click=move |_| set_local.set(Some(to_open.clone()))>"Play here"</button> }.into_any()
                    } else {
                        let (to_play, download_id) = (to_play.clone(), download_id.clone());
                        view! {
                            <button type="button" class="play" on:click=move |_| set_playing.set(Some(Playing {
                                recording: to_play.clone(),
                                source: AudioSource::Server { tenant: tenant.get_untracked() },
                            }))>"Play"</button>
                            <button type="button" class="secondary download"
                                title="Saves the audio decrypted, as a plain audio file"
                                on:click=move |_| { download_audio.dispatch(download_id.clone()); }>"Download decrypted"</button>
                        }.into_any()
                    })}
                </td>
            </tr>
        }
    };

    view! {
        <section class="panel" aria-labelledby="recordings-title">
            <h1 id="recordings-title">{title}</h1>
            // On a phone the filters fold away behind one button, so the list comes first.
            <details class="fold filters-fold" open=crate::components::layout::wide_screen()>
                <summary class="button-like">"Filters"</summary>
            <form id="recording-filters" class="toolbar filters" on:submit=search role="search">
                {filter_field(draft, "filter-caller", "Caller", "search", |f| &f.caller, |f, v| f.caller = v)}
                {filter_field(draft, "filter-callee", "Callee", "search", |f| &f.callee, |f, v| f.callee = v)}
                {filter_field(draft, "filter-agent", "Agent", "search", |f| &f.agent, |f, v| f.agent = v)}
                <label for="filter-direction">"Direction"
                    <select id="filter-direction" prop:value=move || draft.read().direction.clone()
                        on:change=move |event| { let value = event_target_value(&event); draft.update(|f| f.direction = value); }>
                        {direction_options("Any")}
                    </select>
                </label>
                {filter_field(draft, "filter-from", "From (UTC)", "date", |f| &f.from, |f, v| f.from = v)}
                {filter_field(draft, "filter-to", "To (UTC)", "date", |f| &f.to, |f, v| f.to = v)}
                <div class="filter-actions">
                    <button type="submit" id="search">"Search"</button>
                    <button type="button" class="secondary" id="clear-filters" on:click=clear>"Clear"</button>
                </div>
            </form>
            </details>
            <Show when=move || !selected.read().is_empty()>
                <div class="selection-bar" role="region" aria-label="Selection">
                    <span id="selection-count">{move || format!("{} selected", selected.read().len())}</span>
                    " · "
                    <button type="button" class="link" id="clear-selection" on:click=move |_| selected.set(BTreeSet::new())>"Clear"</button>
                    <Show when=move || session.can(Permission::RecordingsExport)>
                        <button id="download-selected" type="button"
                            disabled=move || download.pending().get()
                            on:click=move |_| { download.dispatch(selected.get_untracked().into_iter().collect()); }>
                            {move || if download.pending().get() { "Preparing…".to_owned() } else { format!("Download {} as encrypted ZIP", selected.read().len()) }}
                        </button>
                    </Show>
                </div>
            </Show>
            {move || download.value().get().map(|result| match result {
                Ok((count, bytes)) => view! { <p role="status" id="download-done">{format!("Downloaded {count} recordings ({bytes} bytes), still sealed.")}</p> }.into_any(),
                Err(error) => view! { <Problem error /> }.into_any(),
            })}
            {move || download_audio.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
            <Show when=tenant_held>
                <LocalPlayer tenant recording=local play=set_playing />
            </Show>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) if page.total == 0 => view! {
                        <p id="no-recordings" class="empty">{if *applied.read() == Filters::default() {
                            "No recordings yet. Recorders upload them with an API token (see API tokens), or upload files here."
                        } else {
                            "No recording matches these filters. Clear them to see every recording."
                        }}</p>
                    }.into_any(),
                    Ok(page) => {
                        let now = view.get_untracked();
                        let last = u32::try_from(page.total.div_ceil(u64::from(now.size))).unwrap_or(u32::MAX).max(1);
                        let first_shown = u64::from(now.page - 1) * u64::from(now.size) + 1;
                        let last_shown = first_shown + page.recordings.len() as u64 - 1;
                        view! {
                            <div class="table-wrap">
                                <table id="recordings" class="cards-on-phone">
                                    <caption class="visually-hidden">"Recordings; times in UTC"</caption>
                                    <thead><tr>
                                        <th>"Select"</th>
                                        {heading("Started (UTC)", OrderBy::StartedAt)}
                                        {heading("Caller", OrderBy::Caller)}
                                        {heading("Callee", OrderBy::Callee)}
                                        {heading("Agent", OrderBy::Agent)}
                                        {heading("Length", OrderBy::Duration)}
                                        <th>"Stored"</th><th>"Play"</th>
                                    </tr></thead>
                                    <tbody>{page.recordings.into_iter().map(row).collect_view()}</tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                <span id="page-summary">{format!("{first_shown}–{last_shown} of {}", page.total)}</span>
                                <button type="button" class="secondary" id="previous-page" disabled={now.page <= 1}
                                    on:click=move |_| view.update(|view| view.page -= 1)>"Previous"</button>
                                {page_links(now.page, last).into_iter().map(|link| match link {
                                    Some(number) => view! {
                                        <button type="button" class="page-link" class:secondary=number != now.page
                                            aria-current=(number == now.page).then_some("page")
                                            aria-label=format!("Page {number}")
                                            on:click=move |_| view.update(|view| view.page = number)>{number}</button>
                                    }.into_any(),
                                    None => view! { <span class="gap">"…"</span> }.into_any(),
                                }).collect_view()}
                                <button type="button" class="secondary" id="next-page" disabled={now.page >= last}
                                    on:click=move |_| view.update(|view| view.page += 1)>"Next"</button>
                                <label class="page-size">"Per page"
                                    <select id="page-size" on:change=move |event| {
                                        if let Ok(size) = event_target_value(&event).parse() {
                                            view.update(|view| { view.size = size; view.page = 1; });
                                        }
                                    }>
                                        {PAGE_SIZES.into_iter().map(|size| view! {
                                            <option value=size.to_string() selected=size == now.size>{size}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <Problem error /> }.into_any(),
                })}
            </Suspense>
            <Show when=move || session.can(Permission::RecordingsUpload)>
                <details class="fold">
                    <summary class="button-like">"Upload recordings"</summary>
                    <Upload tenant reload />
                </details>
                <details class="fold">
                    <summary class="button-like">"Import an archive"</summary>
                    <ArchiveImport tenant reload />
                </details>
            </Show>
            {move || playing.get().map(|playing| view! { <Player playing /> })}
        </section>
    }
}
