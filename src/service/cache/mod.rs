//! The instance's caches: the registry every cache registers with ([`registry`]), the
//! in-process TTL caches that front the auth path's lookups (users by id, session
//! liveness, revoked access tokens, API tokens), and the admin's diagnostic key/value
//! namespace.
//!
//! Every write path invalidates what it changed, so a revocation is seen on the very next
//! request. A load that raced with an invalidation is not cached (epoch check), so an
//! in-flight reader cannot put a stale "still valid" back.

pub mod basic;
pub mod registry;

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use moka::Expiry;

use crate::db::api_tokens::ApiTokenRecord;
use crate::db::users::UserRecord;
use crate::ids::UserId;
pub use registry::{CacheRegistry, CacheReport, CountedCache, Counters, Flushable};

const TTL: Duration = Duration::from_secs(60);
const CAPACITY: u64 = 50_000;

/// One cache with its own invalidation epoch.
pub struct Cached<K, V> {
    name: &'static str,
    entries: Cache<K, V>,
    epoch: AtomicU64,
    counters: Counters,
}

impl<K, V> Cached<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(name: &'static str) -> Self {
        Self::build(
            name,
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
        )
    }

    fn build(name: &'static str, entries: Cache<K, V>) -> Self {
        Self {
            name,
            entries,
            epoch: AtomicU64::new(0),
            counters: Counters::default(),
        }
    }

    /// The cached value, counted as a hit or a miss.
    pub fn get(&self, key: &K) -> Option<V> {
        self.counters.count(self.entries.get(key))
    }

    /// The invalidation epoch: read it before loading a value by hand, and pass it to
    /// [`Cached::insert_unless_invalidated`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches `value` unless something was invalidated since `epoch`.
    pub fn insert_unless_invalidated(&self, key: K, value: V, epoch: u64) {
        if self.epoch() == epoch {
            self.entries.insert(key, value);
        }
    }

    /// Returns the cached value, or loads, caches and returns it.
    pub async fn get_or_load<E, F, Fut>(&self, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.counters.count(self.entries.get(&key)) {
            return Ok(value);
        }
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

    /// Drops every entry `pred` holds for (the cache must be built with invalidation
    /// closures; else everything is dropped).
    pub fn invalidate_if(&self, pred: impl Fn(&K, &V) -> bool + Send + Sync + 'static) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if self.entries.invalidate_entries_if(pred).is_err() {
            self.entries.invalidate_all();
        }
    }
}

impl<K, V> Flushable for Cached<K, V>
where
    K: Hash + Eq + Send + Sync + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn entries(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    fn hits(&self) -> u64 {
        self.counters.hits()
    }

    fn misses(&self) -> u64 {
        self.counters.misses()
    }

    fn flush(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.entries.invalidate_all();
    }
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

/// The diagnostic namespace: values the admin stores, each with its own lifetime. Not a
/// copy of the database, so its lookups count as neither hits nor misses.
struct Kv(Cache<String, KvEntry>);

impl Flushable for Kv {
    fn name(&self) -> &'static str {
        "kv"
    }

    fn entries(&self) -> u64 {
        self.0.run_pending_tasks();
        self.0.entry_count()
    }

    fn hits(&self) -> u64 {
        0
    }

    fn misses(&self) -> u64 {
        0
    }

    fn flush(&self) {
        self.0.invalidate_all();
    }
}

pub struct Caches {
    /// Every cache of the instance, these and the ones built with [`Caches::registry`].
    registry: CacheRegistry,
    /// Users by id (None: no such user).
    pub users: Arc<Cached<UserId, Option<Arc<UserRecord>>>>,
    /// Session id → the user it belongs to, while live (None: revoked, expired or gone).
    pub sessions: Arc<Cached<i64, Option<UserId>>>,
    /// Access-token jti → whether it is on the blacklist.
    pub revoked: Arc<Cached<String, bool>>,
    /// API-token hash → the token, when it exists.
    pub api_tokens: Arc<Cached<String, Option<Arc<ApiTokenRecord>>>>,
    /// Verified HTTP Basic passwords (WebDAV).
    pub basic: Arc<basic::BasicCredentials>,
    kv: Arc<Kv>,
}

impl Default for Caches {
    fn default() -> Self {
        let registry = CacheRegistry::default();
        let kv = Cache::builder()
            .max_capacity(10_000)
            .expire_after(KvExpiry)
            .build();
        Self {
            users: registry.register(Cached::new("users")),
            sessions: registry.register(Cached::new("sessions")),
            revoked: registry.register(Cached::new("revoked")),
            api_tokens: registry.register(Cached::new("api_tokens")),
            basic: Arc::new(basic::BasicCredentials::new(&registry)),
            kv: registry.register(Kv(kv)),
            registry,
        }
    }
}

impl Caches {
    /// Where the instance's other caches register when they are built.
    pub fn registry(&self) -> &CacheRegistry {
        &self.registry
    }

    /// The sums over every registered cache, wherever it lives.
    pub fn report(&self) -> CacheReport {
        self.registry.report()
    }

    /// Empties every registered cache, the diagnostic namespace included. Safe at any
    /// time: the caches only ever hold copies of what the database says.
    pub fn flush(&self) {
        self.registry.flush();
    }

    pub fn kv_get(&self, key: &str) -> Option<KvEntry> {
        self.kv.0.get(key)
    }

    /// Stores a diagnostic key; true when it is new (absent or expired), false when it
    /// replaced a live value. One atomic upsert: of two racing creates, one is the create.
    pub fn kv_put(&self, key: String, entry: KvEntry) -> bool {
        let stored = self.kv.0.entry(key).and_upsert_with(|_| entry);
        !stored.is_old_value_replaced()
    }

    pub fn kv_delete(&self, key: &str) -> bool {
        self.kv.0.remove(key).is_some()
    }
}
