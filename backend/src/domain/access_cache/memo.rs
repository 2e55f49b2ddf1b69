//! One kind of row kept in memory, each tagged with the generation it was read in.

use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hashlink::LruCache;

/// How long an entry serves at most, whatever the generation says: a bound on what a missed
/// change (a row written behind the triggers' back, by hand) could keep alive.
const LONGEST: Duration = Duration::from_secs(60);

/// Rows of one kind, the least recently used dropped first.
pub struct Memo<K: Hash + Eq, V: Clone> {
    entries: Mutex<LruCache<K, (u64, Instant, V)>>,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The value kept for `key`, if it was read in `generation`.
    pub fn get(&self, generation: u64, key: &K) -> Option<V> {
        let mut entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((read_in, at, value)) if *read_in == generation && at.elapsed() < LONGEST => {
                Some(value.clone())
            }
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `value`, read from the database in `generation` (taken before the read began,
    /// so that a change committed during the read makes the entry stale, never current).
    pub fn put(&self, generation: u64, key: K, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(key, (generation, Instant::now(), value));
        }
    }

    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}
