//! The entry records of the byte routes, remembered between requests. A 64 KiB download
//! is otherwise one SQLite read transaction (two `fcntl` locks, a statement, row decoding:
//! about a tenth of its CPU) to learn what the previous request already learned.
//!
//! A remembered record is used only while the database's write generation
//! ([`Db::generation`](crate::db::Db::generation)) has not moved since it was read: any
//! write by this process, of anything, retires every record at once. Other processes (the
//! CLI beside a live server) do not move the generation; their changes are seen within
//! [`TTL`]. Registered with the cache registry as `records`.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::db::entries::EntryRecord;
use crate::ids::{EntryId, UserId};
use crate::service::cache::{CacheRegistry, CountedCache};

const TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 10_000;

/// `(owner, id)` → the record and the generation it was read at.
type Records = CountedCache<(UserId, EntryId), (u64, Arc<EntryRecord>)>;

pub struct RecordCache {
    records: Arc<Records>,
}

impl RecordCache {
    /// A new cache, registered as `records`.
    pub fn new(registry: &CacheRegistry) -> Self {
        let cache = Cache::builder()
            .max_capacity(CAPACITY)
            .time_to_live(TTL)
            .build();
        Self {
            records: registry.register(CountedCache::new("records", cache)),
        }
    }

    /// The record of `(owner, id)` if it was read while the generation was `generation`.
    pub fn get(&self, owner: UserId, id: EntryId, generation: u64) -> Option<EntryRecord> {
        self.records
            .get_if(&(owner, id), |(seen, _)| *seen == generation)
            .map(|(_, record)| EntryRecord::clone(&record))
    }

    /// Remembers a record read after the generation was observed to be `generation`.
    pub fn put(&self, owner: UserId, id: EntryId, generation: u64, record: &EntryRecord) {
        self.records
            .insert((owner, id), (generation, Arc::new(record.clone())));
    }
}
