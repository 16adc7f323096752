//! The in-process TTL caches that front hot lookups (users by id, session liveness, revoked
//! access tokens, API tokens), and the admin's diagnostic key/value namespace.
//!
//! Every write path invalidates what it changed, so a revocation is seen on the very next
//! request. A load that raced with an invalidation is not cached (epoch check), so an
//! in-flight reader cannot put a stale "still valid" back.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use moka::Expiry;

use crate::db::api_tokens::ApiTokenRecord;
use crate::db::users::UserRecord;

const TTL: Duration = Duration::from_secs(60);
const CAPACITY: u64 = 50_000;

/// One cache with its own invalidation epoch.
pub struct Cached<K, V> {
    entries: Cache<K, V>,
    epoch: AtomicU64,
}

impl<K, V> Cached<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new() -> Self {
        Self {
            entries: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
            epoch: AtomicU64::new(0),
        }
    }

    /// Returns the cached value, or loads, caches and returns it.
    pub async fn get_or_load<E, F, Fut>(&self, stats: &Stats, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.entries.get(&key) {
            stats.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(value);
        }
        stats.misses.fetch_add(1, Ordering::Relaxed);
        let epoch = self.epoch.load(Ordering::Acquire);
        let value = load().await?;
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.entries.insert(key, value.clone());
        }
        Ok(value)
    }

    pub fn invalidate(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate(key);
    }

    pub fn insert(&self, key: K, value: V) {
        self.entries.insert(key, value);
    }

    fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }

    fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

#[derive(Default)]
pub struct Stats {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A diagnostic value with its own lifetime.
#[derive(Clone)]
pub struct KvEntry {
    pub value: serde_json::Value,
    pub ttl_s: u64,
    pub expires_at: i64,
}

struct KvExpiry;

impl Expiry<String, KvEntry> for KvExpiry {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &KvEntry,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(Duration::from_secs(value.ttl_s))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &KvEntry,
        _now: std::time::Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(Duration::from_secs(value.ttl_s))
    }
}

/// A snapshot for `GET /admin/cache`.
pub struct CacheReport {
    pub entries: u64,
    pub hits: u64,
    pub misses: u64,
}

pub struct Caches {
    pub stats: Stats,
    /// Users by id (None: no such user).
    pub users: Cached<i64, Option<Arc<UserRecord>>>,
    /// Session id → the user it belongs to, while live (None: revoked, expired or gone).
    pub sessions: Cached<i64, Option<i64>>,
    /// Access-token jti → whether it is on the blacklist.
    pub revoked: Cached<String, bool>,
    /// API-token hash → the token, when it exists.
    pub api_tokens: Cached<String, Option<Arc<ApiTokenRecord>>>,
    kv: Cache<String, KvEntry>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            stats: Stats::default(),
            users: Cached::new(),
            sessions: Cached::new(),
            revoked: Cached::new(),
            api_tokens: Cached::new(),
            kv: Cache::builder()
                .max_capacity(10_000)
                .expire_after(KvExpiry)
                .build(),
        }
    }
}

impl Caches {
    pub fn report(&self) -> CacheReport {
        self.kv.run_pending_tasks();
        CacheReport {
            entries: self.users.len()
                + self.sessions.len()
                + self.revoked.len()
                + self.api_tokens.len()
                + self.kv.entry_count(),
            hits: self.stats.hits.load(Ordering::Relaxed),
            misses: self.stats.misses.load(Ordering::Relaxed),
        }
    }

    /// Empties every cache, the diagnostic namespace included. Safe at any time: the
    /// caches only ever hold copies of what the database says.
    pub fn flush(&self) {
        self.users.clear();
        self.sessions.clear();
        self.revoked.clear();
        self.api_tokens.clear();
        self.kv.invalidate_all();
    }

    pub fn kv_get(&self, key: &str) -> Option<KvEntry> {
        self.kv.get(key)
    }

    pub fn kv_put(&self, key: String, entry: KvEntry) {
        self.kv.insert(key, entry);
    }

    pub fn kv_delete(&self, key: &str) -> bool {
        self.kv.remove(key).is_some()
    }
}
