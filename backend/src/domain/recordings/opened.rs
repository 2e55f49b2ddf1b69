//! Recordings opened lately, kept open for a minute. A player seeks again and again in one
//! recording, and every seek would otherwise pay two RSA decryptions and two key parses (the
//! user's key opens the grant, the granted key opens the recording's header): the load
//! benchmark's seeks were bound by exactly that.
//!
//! What is kept is one recording's derived chunk keys, never a private key, in this instance's
//! memory only. Every request still loads the key and checks the grant in the database before
//! it looks here, so a revoked grant, a destroyed key or an ended session stop playback at
//! once; and a rewrap writes a new object, which never meets the old entry.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callvault_shared::chunked::RandomAccess;
use callvault_shared::crypto::Native;
use hashlink::LruCache;
use uuid::Uuid;

/// How long an entry serves after it was opened.
const FRESH_FOR: Duration = Duration::from_secs(60);
/// At most this many are kept (a few hundred bytes each); the least recently used go first.
const CAPACITY: usize = 4096;

/// Who opened what: the user, the key, and the stored object (which a rewrap replaces).
pub type OpenedBy = (Uuid, Uuid, String);

/// An opened recording, and when it was opened.
type Entry = (Instant, Arc<RandomAccess<Native>>);

pub struct OpenedRecordings {
    entries: Mutex<LruCache<OpenedBy, Entry>>,
}

impl Default for OpenedRecordings {
    fn default() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(CAPACITY)),
        }
    }
}

impl OpenedRecordings {
    pub fn get(&self, opened_by: &OpenedBy) -> Option<Arc<RandomAccess<Native>>> {
        let mut entries = self.entries.lock().ok()?;
        match entries.get(opened_by) {
            Some((at, access)) if at.elapsed() < FRESH_FOR => Some(access.clone()),
            Some(_) => {
                entries.remove(opened_by);
                None
            }
            None => None,
        }
    }

    pub fn keep(&self, opened_by: OpenedBy, access: Arc<RandomAccess<Native>>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(opened_by, (Instant::now(), access));
        }
    }
}
