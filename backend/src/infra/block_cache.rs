//! Blocks of a bucket's objects, kept in memory for seeks.
//!
//! A player seeks again and again in the recording it plays; from a bucket each seek was a
//! request to the store, which reads (and for Garage checks the hash of) a whole block of its
//! own, a MiB by default, to answer for the 80 KiB a seek needs. Here a seek reads the
//! aligned MiB around it once and the seeks after it are served from memory: the load
//! benchmark's seeks went from one store request each to almost none.
//!
//! What is kept is the stored bytes as the bucket holds them: a sealed recording's ciphertext,
//! which nothing here can open without a grant. Objects are never rewritten in place (a rewrap
//! writes a new object), so a kept block cannot go stale; a deleted recording's blocks are
//! never asked for again, since its row is gone first, and age out. The least recently used
//! go first once the configured bytes are held.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use hashlink::LruCache;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::sync::OnceCell;

/// The unit read and kept: a MiB, Garage's block and a common S3 part size.
pub const BLOCK: u64 = 1024 * 1024;

type Key = (String, u64);
/// A block, read once by whichever request asked first while the others wait for it.
type Block = Arc<OnceCell<Bytes>>;

pub struct BlockCache {
    capacity: u64,
    state: Mutex<State>,
}

struct State {
    blocks: LruCache<Key, (u64, Block)>,
    bytes: u64,
}

impl BlockCache {
    /// A cache that holds at most `capacity` bytes.
    pub fn new(capacity: u64) -> Self {
        Self {
            capacity,
            state: Mutex::new(State {
                blocks: LruCache::new_unbounded(),
                bytes: 0,
            }),
        }
    }

    /// `range` of the object at `location`, which is `object_len` long, from the blocks that
    /// cover it.
    pub async fn read(
        &self,
        store: &dyn ObjectStore,
        location: &ObjectPath,
        range: Range<u64>,
        object_len: u64,
    ) -> object_store::Result<Bytes> {
        if range.end > object_len || range.is_empty() {
            return store.get_range(location, range).await;
        }
        let (first, last) = (range.start / BLOCK, (range.end - 1) / BLOCK);
        if first == last {
            let block = self.block(store, location, first, object_len).await?;
            let at = first * BLOCK;
            return Ok(block.slice((range.start - at) as usize..(range.end - at) as usize));
        }
        let mut joined = BytesMut::with_capacity((range.end - range.start) as usize);
        for index in first..=last {
            let block = self.block(store, location, index, object_len).await?;
            let at = index * BLOCK;
            let from = range.start.max(at) - at;
            let to = range.end.min(at + block.len() as u64) - at;
            joined.extend_from_slice(&block[from as usize..to as usize]);
        }
        Ok(joined.freeze())
    }

    async fn block(
        &self,
        store: &dyn ObjectStore,
        location: &ObjectPath,
        index: u64,
        object_len: u64,
    ) -> object_store::Result<Bytes> {
        let start = index * BLOCK;
        let span = start..(start + BLOCK).min(object_len);
        let key = (location.to_string(), index);
        let cell = self.cell(&key, span.end - span.start);
        let read = cell
            .get_or_try_init(|| store.get_range(location, span.clone()))
            .await
            .cloned();
        match read {
            Ok(bytes) if bytes.len() as u64 == span.end - span.start => Ok(bytes),
            outcome => {
                // Not kept: the next request asks the store again.
                self.forget(&key, &cell);
                outcome.and_then(|bytes| {
                    Err(object_store::Error::Generic {
                        store: "S3",
                        source: format!(
                            "the object ends {} bytes before its catalogue length",
                            span.end - span.start - bytes.len() as u64
                        )
                        .into(),
                    })
                })
            }
        }
    }

    /// The block's cell, made and counted when it is new; the least recently used are
    /// dropped until the cache is within its bytes again.
    fn cell(&self, key: &Key, len: u64) -> Block {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, cell)) = state.blocks.get(key) {
            return cell.clone();
        }
        let cell = Block::default();
        state.blocks.insert(key.clone(), (len, cell.clone()));
        state.bytes += len;
        while state.bytes > self.capacity {
            let Some((_, (dropped, _))) = state.blocks.remove_lru() else {
                break;
            };
            state.bytes -= dropped;
        }
        cell
    }

    fn forget(&self, key: &Key, cell: &Block) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state
            .blocks
            .get(key)
            .is_some_and(|(_, kept)| Arc::ptr_eq(kept, cell))
            && let Some((len, _)) = state.blocks.remove(key)
        {
            state.bytes -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::PutPayload;
    use object_store::memory::InMemory;

    async fn stored(len: usize) -> (InMemory, ObjectPath, Vec<u8>) {
        let store = InMemory::new();
        let location = ObjectPath::from("tenant/recording");
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        store
            .put(&location, PutPayload::from(bytes.clone()))
            .await
            .expect("put");
        (store, location, bytes)
    }

    #[tokio::test]
    async fn ranges_within_and_across_blocks_read_what_the_object_holds() {
        let len = 2 * BLOCK as usize + 1000;
        let (store, location, bytes) = stored(len).await;
        let cache = BlockCache::new(16 * BLOCK);
        for range in [
            0..10,
            BLOCK - 5..BLOCK + 5,
            10..2 * BLOCK + 10,
            2 * BLOCK..len as u64,
            len as u64 - 1..len as u64,
        ] {
            let read = cache
                .read(&store, &location, range.clone(), len as u64)
                .await
                .expect("read");
            assert_eq!(
                &read[..],
                &bytes[range.start as usize..range.end as usize],
                "{range:?}"
            );
        }
    }

    #[tokio::test]
    async fn it_holds_no_more_than_its_bytes_and_a_short_object_is_an_error_not_kept() {
        let len = 4 * BLOCK as usize;
        let (store, location, _) = stored(len).await;
        let cache = BlockCache::new(2 * BLOCK);
        for index in 0..4 {
            let at = index * BLOCK;
            cache
                .read(&store, &location, at..at + 10, len as u64)
                .await
                .expect("read");
            let state = cache.state.lock().expect("lock");
            assert!(state.bytes <= 2 * BLOCK, "{} bytes held", state.bytes);
        }
        // The catalogue says it is longer than the store holds.
        let short = cache
            .read(&store, &location, 10..20, len as u64 + BLOCK)
            .await;
        assert!(short.is_ok(), "the first block is whole");
        let beyond = 4 * BLOCK + 10..4 * BLOCK + 20;
        assert!(
            cache
                .read(&store, &location, beyond, len as u64 + BLOCK)
                .await
                .is_err()
        );
        let state = cache.state.lock().expect("lock");
        assert!(!state.blocks.contains_key(&(location.to_string(), 4)));
    }
}
