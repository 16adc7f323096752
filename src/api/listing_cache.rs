//! Serialized folder listings, reused while their owner's tree stands still.
//!
//! A page is stored with the owner's tree version read *before* the page was queried, and
//! served again only while the version is unchanged. Every insert, update and delete of an
//! owner's entries moves the version (SQLite triggers, migration 0006 — so also changes
//! made by another process, such as `hoard check --repair`), which makes a stale page
//! unreachable; the worst a race can do is store a page newer than its version, which the
//! next request, reading the newer version, does not use. Checking the version is one
//! primary-key read; serving the page is a pointer copy. Searches are never cached.

use bytes::Bytes;
use moka::sync::Cache;

use crate::service::drive::Listing;

/// Bytes of serialized pages kept at most (a 100-entry page is ~30 KiB).
const CAPACITY_BYTES: u64 = 8 << 20;

/// One page of one folder of one owner, in one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub owner: i64,
    pub parent: Option<i64>,
    pub listing: Listing,
}

pub struct ListingCache {
    pages: Cache<PageKey, (i64, Bytes)>,
}

impl Default for ListingCache {
    fn default() -> Self {
        let pages = Cache::builder()
            .max_capacity(CAPACITY_BYTES)
            .weigher(|_, (_, body): &(i64, Bytes)| u32::try_from(body.len()).unwrap_or(u32::MAX))
            .build();
        Self { pages }
    }
}

impl ListingCache {
    /// The page, if it was stored at exactly `version`.
    pub fn get(&self, key: &PageKey, version: i64) -> Option<Bytes> {
        self.pages
            .get(key)
            .filter(|(stored, _)| *stored == version)
            .map(|(_, body)| body)
    }

    /// Stores a page queried after `version` was read.
    pub fn put(&self, key: PageKey, version: i64, body: Bytes) {
        self.pages.insert(key, (version, body));
    }
}
