//! Playback on the audit record, one record per playback rather than one per seek.
//!
//! A player asks for a recording in dozens or hundreds of ranges. The first request of a
//! playback (a credential, a recording, and whether it is a download) writes
//! `recording.play` and is served only once that record is committed, as before: no record,
//! no audio. Later requests of the same playback are served at once and counted in this
//! instance's memory. When the playback has been idle for the window (or has lasted
//! [`LONGEST`]), one `recording.played` record says how many requests, how many bytes and
//! which ranges it served, between which times; a playback of one request writes none.
//!
//! So the record always shows who played which recording and when before a byte leaves;
//! what a process killed mid-playback loses is only that playback's tally. Each instance
//! keeps its own playbacks: a player whose requests two instances share has two.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::domain::audit::{self, AuditEntry};
use crate::infra::commit_lane::CommitLane;

/// A playback that goes on this long is closed and the next request begins another, so that
/// no tally waits in memory for longer.
const LONGEST: Duration = Duration::from_secs(15 * 60);
/// Ranges named in a `recording.played` record; beyond them only bytes and requests count.
const MAX_RANGES: usize = 32;
/// Playbacks kept open at once; beyond it the least recently heard is closed early.
const MAX_OPEN: usize = 20_000;
/// Closed playbacks whose record could not be written yet, kept to be tried again.
const MAX_UNWRITTEN: usize = 20_000;

/// Whose playback of what: requests with the same listener join one playback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Listener {
    /// The session or API token.
    pub credential: Uuid,
    pub recording: Uuid,
    pub download: bool,
}

pub struct PlaybackLog {
    idle: Duration,
    open: Mutex<HashMap<Listener, Arc<Playback>>>,
    unwritten: Mutex<Vec<Arc<Playback>>>,
}

struct Playback {
    id: Uuid,
    /// The `recording.play` record, once committed.
    on_record: OnceCell<()>,
    /// The record that closes it, but for its details.
    closing: AuditEntry,
    tally: Mutex<Tally>,
}

struct Tally {
    began: Instant,
    heard: Instant,
    first_at: DateTime<Utc>,
    last_at: DateTime<Utc>,
    requests: u64,
    bytes: u64,
    /// Disjoint, in order.
    ranges: Vec<Range<u64>>,
    ranges_cut: bool,
    closed: bool,
}

impl PlaybackLog {
    /// Playbacks idle for `idle` are closed.
    pub fn new(idle: Duration) -> Self {
        Self {
            idle,
            open: Mutex::default(),
            unwritten: Mutex::default(),
        }
    }

    /// Puts the bytes `served` of a recording on the record for `listener`: the first request
    /// of a playback writes `opening` (with the playback's id and `range` added) and returns
    /// once it is committed; a later one adds to the tally. An error means nothing may be
    /// served.
    pub async fn note(
        &self,
        lane: &CommitLane,
        listener: Listener,
        opening: &AuditEntry,
        range: Option<&str>,
        served: Range<u64>,
    ) -> Result<(), DbErr> {
        loop {
            let playback = self.playback_of(&listener, opening);
            playback
                .on_record
                .get_or_try_init(|| {
                    let (db, opening) = (
                        lane.db().clone(),
                        opening.clone().details(serde_json::json!({
                            "playback": playback.id,
                            "range": range,
                        })),
                    );
                    // On the lane: the record takes the tenant's chain lock.
                    lane.run(async move { audit::record(&db, opening).await })
                })
                .await?;
            if playback.add(served.clone()) {
                return Ok(());
            }
            // Closed between the look-up and now: the request begins the next playback.
        }
    }

    /// The open playback of `listener`, or a new one (closing one that is over).
    fn playback_of(&self, listener: &Listener, opening: &AuditEntry) -> Arc<Playback> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(playback) = open.get(listener)
            && !playback.is_over(self.idle)
        {
            return playback.clone();
        }
        if open.len() >= MAX_OPEN
            && let Some(quietest) = open
                .iter()
                .min_by_key(|(_, playback)| playback.heard())
                .map(|(listener, _)| listener.clone())
            && let Some(closed) = open.remove(&quietest)
        {
            self.retire(closed);
        }
        let playback = Arc::new(Playback::new(
            opening,
            listener.recording,
            listener.download,
        ));
        if let Some(over) = open.insert(listener.clone(), playback.clone()) {
            self.retire(over);
        }
        playback
    }

    /// Closes `playback` and queues its record.
    fn retire(&self, playback: Arc<Playback>) {
        if playback.close() {
            let mut unwritten = self
                .unwritten
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if unwritten.len() < MAX_UNWRITTEN {
                unwritten.push(playback);
            } else {
                tracing::error!(playback = %playback.id, "too many playback tallies unwritten; this one is lost");
            }
        }
    }

    /// Closes the playbacks that are over (all of them with `everything`) and writes their
    /// records; a record that cannot be written now is tried again next time.
    pub async fn close(&self, db: &DatabaseConnection, everything: bool) {
        {
            let mut open = self
                .open
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let over: Vec<Listener> = open
                .iter()
                .filter(|(_, playback)| everything || playback.is_over(self.idle))
                .map(|(listener, _)| listener.clone())
                .collect();
            for listener in over {
                if let Some(playback) = open.remove(&listener) {
                    self.retire(playback);
                }
            }
        }
        let closed = std::mem::take(
            &mut *self
                .unwritten
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for playback in closed {
            let Some(entry) = playback.closing_record() else {
                continue;
            };
            if let Err(error) = audit::record(db, entry).await {
                tracing::warn!(playback = %playback.id, error = %error, "cannot write a playback's tally yet");
                self.unwritten
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(playback);
            }
        }
    }

    /// Closes what is over every second, for as long as the process runs, on the lane.
    pub fn spawn_closer(self: &Arc<Self>, lane: &CommitLane) {
        let log = Arc::downgrade(self);
        let db = lane.db().clone();
        lane.spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(1));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(log) = log.upgrade() else { return };
                log.close(&db, false).await;
            }
        });
    }
}

impl Playback {
    fn new(opening: &AuditEntry, recording: Uuid, download: bool) -> Self {
        let now = Instant::now();
        let at = Utc::now().trunc_subsecs(6);
        Self {
            id: Uuid::now_v7(),
            on_record: OnceCell::new(),
            closing: opening
                .clone()
                .action(if download {
                    "recording.downloaded"
                } else {
                    "recording.played"
                })
                .object("recording", recording),
            tally: Mutex::new(Tally {
                began: now,
                heard: now,
                first_at: at,
                last_at: at,
                requests: 0,
                bytes: 0,
                ranges: Vec::new(),
                ranges_cut: false,
                closed: false,
            }),
        }
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn heard(&self) -> Instant {
        self.tally().heard
    }

    fn is_over(&self, idle: Duration) -> bool {
        let tally = self.tally();
        tally.closed || tally.heard.elapsed() >= idle || tally.began.elapsed() >= LONGEST
    }

    /// Counts a request; false when the playback was closed meanwhile.
    fn add(&self, served: Range<u64>) -> bool {
        let mut tally = self.tally();
        if tally.closed {
            return false;
        }
        tally.heard = Instant::now();
        tally.last_at = Utc::now().trunc_subsecs(6);
        tally.requests += 1;
        tally.bytes += served.end.saturating_sub(served.start);
        tally.merge(served);
        true
    }

    /// Marks it closed; false when it already was.
    fn close(&self) -> bool {
        !std::mem::replace(&mut self.tally().closed, true)
    }

    /// Its `recording.played` record: none when its opening record was never written or it
    /// served only the one request that record names.
    fn closing_record(&self) -> Option<AuditEntry> {
        self.on_record.get()?;
        let tally = self.tally();
        if tally.requests <= 1 {
            return None;
        }
        let ranges: Vec<String> = tally
            .ranges
            .iter()
            .map(|range| format!("{}-{}", range.start, range.end.saturating_sub(1)))
            .collect();
        Some(self.closing.clone().details(serde_json::json!({
            "playback": self.id,
            "requests": tally.requests,
            "bytes": tally.bytes,
            "ranges": ranges,
            "ranges_cut": tally.ranges_cut,
            "from": tally.first_at,
            "until": tally.last_at,
        })))
    }
}

impl Tally {
    /// Adds `served` to the ranges heard, joining those it touches.
    fn merge(&mut self, served: Range<u64>) {
        if served.is_empty() {
            return;
        }
        let mut joined = served;
        self.ranges.retain(|range| {
            let touches = range.start <= joined.end && joined.start <= range.end;
            if touches {
                joined = joined.start.min(range.start)..joined.end.max(range.end);
            }
            !touches
        });
        let at = self
            .ranges
            .partition_point(|range| range.start < joined.start);
        if self.ranges.len() < MAX_RANGES {
            self.ranges.insert(at, joined);
        } else {
            self.ranges_cut = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally() -> Tally {
        let now = Instant::now();
        Tally {
            began: now,
            heard: now,
            first_at: Utc::now(),
            last_at: Utc::now(),
            requests: 0,
            bytes: 0,
            ranges: Vec::new(),
            ranges_cut: false,
            closed: false,
        }
    }

    #[test]
    fn ranges_that_touch_join_and_others_stay_apart_in_order() {
        let mut tally = tally();
        tally.merge(100..200);
        tally.merge(0..50);
        tally.merge(200..300);
        tally.merge(40..60);
        assert_eq!(tally.ranges, vec![0..60, 100..300]);
        tally.merge(50..120);
        assert_eq!(tally.ranges, vec![0..300]);
    }

    #[test]
    fn beyond_the_limit_ranges_are_cut_not_kept() {
        let mut tally = tally();
        for index in 0..(MAX_RANGES as u64 + 5) {
            tally.merge(index * 10..index * 10 + 5);
        }
        assert_eq!(tally.ranges.len(), MAX_RANGES);
        assert!(tally.ranges_cut);
    }
}
