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
use crate::service::cache::{Counters, Flushable};

const TTL: Duration = Duration::from_secs(1);
const CAPACITY: u64 = 10_000;

/// `(owner, id)` → the record and the generation it was read at.
pub struct RecordCache {
    records: Cache<(UserId, EntryId), (u64, Arc<EntryRecord>)>,
    counters: Counters,
}

impl Default for RecordCache {
    fn default() -> Self {
        Self {
            records: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
            counters: Counters::default(),
        }
    }
}

impl RecordCache {
    /// The record of `(owner, id)` if it was read while the generation was `generation`.
    pub fn get(&self, owner: UserId, id: EntryId, generation: u64) -> Option<EntryRecord> {
        let found = self
            .records
            .get(&(owner, id))
            .filter(|(seen, _)| *seen == generation);
        self.counters
            .count(found)
            .map(|(_, record)| EntryRecord::clone(&record))
    }

    /// Remembers a record read after the generation was observed to be `generation`.
    pub fn put(&self, owner: UserId, id: EntryId, generation: u64, record: &EntryRecord) {
        self.records
            .insert((owner, id), (generation, Arc::new(record.clone())));
    }
}

impl Flushable for RecordCache {
    fn name(&self) -> &'static str {
        "records"
    }

    fn entries(&self) -> u64 {
        self.records.run_pending_tasks();
        self.records.entry_count()
    }

    fn hits(&self) -> u64 {
        self.counters.hits()
    }

    fn misses(&self) -> u64 {
        self.counters.misses()
    }

    fn flush(&self) {
        self.records.invalidate_all();
    }
}
