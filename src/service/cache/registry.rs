//! The one cache registry. Every in-process cache, wherever it lives (the auth caches
//! beside it, the drive's entry records and folder listings), registers here when it is
//! built, so `GET /admin/cache` counts all of them and `DELETE /admin/cache` empties all
//! of them: a cache that is not registered cannot be constructed by the services.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use moka::sync::Cache;

/// What the registry asks of a cache.
pub trait Flushable: Send + Sync {
    /// A short stable name (`users`, `records`, `listings`…) for per-cache reports.
    fn name(&self) -> &'static str;
    /// Entries held now.
    fn entries(&self) -> u64;
    /// Lookups answered from the cache since start.
    fn hits(&self) -> u64;
    /// Lookups that had to go to the database since start.
    fn misses(&self) -> u64;
    /// Drops every entry. Safe at any time: a cache only holds copies of what the
    /// database says.
    fn flush(&self);
}

/// Hit and miss counters, for a cache to keep and report.
#[derive(Default)]
pub struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counters {
    /// Counts a lookup by its outcome and passes the outcome on.
    pub fn count<T>(&self, found: Option<T>) -> Option<T> {
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// A moka cache that counts its lookups and reports to the registry under its name: the
/// one `Flushable` of the caches whose values carry their own validity (the drive's
/// records and listings, checked against a generation or a tree version).
pub struct CountedCache<K, V> {
    name: &'static str,
    cache: Cache<K, V>,
    counters: Counters,
}

impl<K, V> CountedCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(name: &'static str, cache: Cache<K, V>) -> Self {
        Self {
            name,
            cache,
            counters: Counters::default(),
        }
    }

    /// The value of `key` when `usable` accepts it (a hit); anything else is a miss.
    pub fn get_if(&self, key: &K, usable: impl FnOnce(&V) -> bool) -> Option<V> {
        let found = self.cache.get(key).filter(|value| usable(value));
        self.counters.count(found)
    }

    pub fn insert(&self, key: K, value: V) {
        self.cache.insert(key, value);
    }
}

impl<K, V> Flushable for CountedCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn entries(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    fn hits(&self) -> u64 {
        self.counters.hits()
    }

    fn misses(&self) -> u64 {
        self.counters.misses()
    }

    fn flush(&self) {
        self.cache.invalidate_all();
    }
}

/// Entries, hits and misses of one cache, or summed over all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheReport {
    pub entries: u64,
    pub hits: u64,
    pub misses: u64,
}

impl CacheReport {
    fn of(cache: &dyn Flushable) -> Self {
        Self {
            entries: cache.entries(),
            hits: cache.hits(),
            misses: cache.misses(),
        }
    }
}

/// The caches of one instance.
#[derive(Default)]
pub struct CacheRegistry {
    caches: Mutex<Vec<Arc<dyn Flushable>>>,
}

impl CacheRegistry {
    /// Registers `cache` and hands it back to its owner.
    pub fn register<C: Flushable + 'static>(&self, cache: C) -> Arc<C> {
        let cache = Arc::new(cache);
        self.lock().push(cache.clone());
        cache
    }

    /// The sums over every registered cache (`GET /admin/cache`).
    pub fn report(&self) -> CacheReport {
        self.reports()
            .into_iter()
            .fold(CacheReport::default(), |sum, (_, one)| CacheReport {
                entries: sum.entries + one.entries,
                hits: sum.hits + one.hits,
                misses: sum.misses + one.misses,
            })
    }

    /// Each registered cache's figures, in the order they registered.
    pub fn reports(&self) -> Vec<(&'static str, CacheReport)> {
        let caches = self.lock().clone();
        caches
            .iter()
            .map(|cache| (cache.name(), CacheReport::of(cache.as_ref())))
            .collect()
    }

    /// Empties every registered cache (`DELETE /admin/cache`).
    pub fn flush(&self) {
        let caches = self.lock().clone();
        for cache in caches {
            cache.flush();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<dyn Flushable>>> {
        // The list is only ever pushed to; a panic elsewhere cannot leave it half-made.
        self.caches.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
