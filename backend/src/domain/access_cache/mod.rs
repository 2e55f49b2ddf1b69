//! What the database said lately about who may do what: sessions and API tokens with their
//! users, tenants, recordings, keys and grants, kept in this instance's memory so that a
//! player's every seek does not ask the database the same six questions again.
//!
//! Only reads use it (a request that changes something reads everything afresh), and only
//! rows that exist are kept. Nothing secret is kept that the database does not hold in the
//! same form: a session's sealed user key stays sealed under the secret only its client has.
//!
//! The database keeps a counter, `access_epoch`, that its triggers move whenever access may
//! have narrowed (a session ended, a grant revoked, a key destroyed, a password reset, a
//! tenant's settings changed: see the migration). Every entry is tagged with the generation
//! it was read in, and the generation moves when the counter does:
//!
//! - this instance reads the counter after each of its own requests that changed something,
//!   before that request's answer leaves, so its own revocations act at once;
//! - every instance reads it twice a second, so another instance's act within a second;
//! - an instance that has not read it for [`TRUSTED_FOR`] (its database away, or the poller
//!   starved) serves nothing from memory until it has.

pub mod memo;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr, Statement};
use uuid::Uuid;

use crate::infra::commit_lane::CommitLane;
use crate::infra::entities::{
    api_token, encryption_key, key_grant, recording, session, tenant, user,
};
pub use memo::Memo;

/// How often every instance reads the counter.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// How old the last reading may be for the memory to serve.
const TRUSTED_FOR: Duration = Duration::from_millis(1500);
/// Entries per kind (each a row or two, well under a kilobyte).
const CAPACITY: usize = 4096;

pub struct AccessCache {
    generation: AtomicU64,
    reading: Mutex<Reading>,
    pub sessions: Memo<Uuid, (session::Model, user::Model)>,
    pub api_tokens: Memo<Uuid, (api_token::Model, user::Model)>,
    /// By the path's selector: an id or a slug.
    pub tenants: Memo<String, tenant::Model>,
    /// By tenant and recording.
    pub recordings: Memo<(Uuid, Uuid), recording::Model>,
    /// By tenant and key.
    pub keys: Memo<(Uuid, Uuid), encryption_key::Model>,
    /// By key and user.
    pub grants: Memo<(Uuid, Uuid), key_grant::Model>,
}

/// The counter as last read, and when that reading began.
#[derive(Default)]
struct Reading {
    epoch: Option<i64>,
    began: Option<Instant>,
    failing: bool,
}

impl Default for AccessCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            reading: Mutex::default(),
            sessions: Memo::new(CAPACITY),
            api_tokens: Memo::new(CAPACITY),
            tenants: Memo::new(CAPACITY),
            recordings: Memo::new(CAPACITY),
            keys: Memo::new(CAPACITY),
            grants: Memo::new(CAPACITY),
        }
    }
}

impl AccessCache {
    /// The generation entries must carry to serve, or `None` while the counter's last reading
    /// is too old for anything kept to be trusted.
    fn generation(&self) -> Option<u64> {
        let reading = self.reading.lock().ok()?;
        reading
            .began
            .filter(|began| began.elapsed() < TRUSTED_FOR)
            .map(|_| self.generation.load(Ordering::Acquire))
    }

    /// Reads the counter; when it moved, everything kept before becomes stale.
    pub async fn sync(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let began = Instant::now();
        let epoch = read_epoch(db).await;
        let Ok(mut reading) = self.reading.lock() else {
            return Ok(());
        };
        let epoch = match epoch {
            Ok(epoch) => epoch,
            Err(error) => {
                if !reading.failing {
                    tracing::warn!(error = %error, "cannot read the access epoch; serving without the access cache");
                }
                reading.failing = true;
                return Err(error);
            }
        };
        reading.failing = false;
        // Two readings may finish out of order; the counter only grows.
        if reading.epoch.is_none_or(|seen| epoch > seen) {
            self.generation.fetch_add(1, Ordering::AcqRel);
            reading.epoch = Some(epoch);
        }
        if reading.began.is_none_or(|last| began > last) {
            reading.began = Some(began);
        }
        Ok(())
    }

    /// Makes everything kept so far stale.
    pub fn drop_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads the counter every [`POLL_EVERY`] for as long as the process runs.
    pub fn spawn_poller(self: &Arc<Self>, lane: &CommitLane) {
        let cache = Arc::downgrade(self);
        let db = lane.db().clone();
        lane.spawn(async move {
            let mut ticks = tokio::time::interval(POLL_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(cache) = cache.upgrade() else { return };
                // A failure is logged by `sync` and leaves the memory unused until it heals.
                let _ = cache.sync(&db).await;
            }
        });
    }
}

/// `load`'s answer for `key`, from `cache`'s `memo` when it holds one read since the last
/// change, else from `load` (and then kept). With no cache, always from `load`.
pub async fn read_through<K, V, E, Fut>(
    cache: Option<&AccessCache>,
    memo: impl Fn(&AccessCache) -> &Memo<K, V>,
    key: K,
    load: impl FnOnce() -> Fut,
) -> Result<Option<V>, E>
where
    K: std::hash::Hash + Eq,
    V: Clone,
    Fut: Future<Output = Result<Option<V>, E>>,
{
    // Taken before the read: a change committed while it runs makes the entry stale.
    let generation = cache.and_then(|cache| Some((cache, cache.generation()?)));
    if let Some((cache, generation)) = generation
        && let Some(value) = memo(cache).get(generation, &key)
    {
        return Ok(Some(value));
    }
    let loaded = load().await?;
    if let (Some((cache, generation)), Some(value)) = (generation, &loaded) {
        memo(cache).put(generation, key, value.clone());
    }
    Ok(loaded)
}

async fn read_epoch(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT epoch FROM access_epoch WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the access epoch's row".into()))?;
    row.try_get::<i64>("", "epoch")
}
