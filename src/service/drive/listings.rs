//! Folder listings in their served form, reused while their owner's tree stands still.
//! The pages are opaque bytes here: the API renders them ([`Drive::folder_page`]), the
//! drive decides when a rendered page may be served again.
//!
//! A page is stored with the owner's tree version read *before* the page was queried, and
//! served again only while the version is unchanged. Every insert, update and delete of an
//! owner's entries moves the version (SQLite triggers, migration 0006 — so also changes
//! made by another process, such as `hoard check --repair`), which makes a stale page
//! unreachable; the worst a race can do is store a page newer than its version, which the
//! next request, reading the newer version, does not use. Checking the version is one
//! primary-key read; serving the page is a pointer copy. Searches are never cached.
//! Registered with the cache registry as `listings`.
//!
//! [`Drive::folder_page`]: super::Drive::folder_page

use std::sync::Arc;

use bytes::Bytes;
use moka::sync::Cache;

use crate::db::entries::Listing;
use crate::ids::{EntryId, UserId};
use crate::service::cache::{CacheRegistry, CountedCache};

/// Bytes of serialized pages kept at most (a 100-entry page is ~30 KiB).
const CAPACITY_BYTES: u64 = 8 << 20;

/// One page of one folder of one owner, in one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub owner: UserId,
    pub parent: Option<EntryId>,
    pub listing: Listing,
}

pub struct ListingCache {
    pages: Arc<CountedCache<PageKey, (i64, Bytes)>>,
}

impl ListingCache {
    /// A new cache, registered as `listings`.
    pub fn new(registry: &CacheRegistry) -> Self {
        let pages = Cache::builder()
            .max_capacity(CAPACITY_BYTES)
            .weigher(|_, (_, body): &(i64, Bytes)| u32::try_from(body.len()).unwrap_or(u32::MAX))
            .build();
        Self {
            pages: registry.register(CountedCache::new("listings", pages)),
        }
    }

    /// The page, if it was stored at exactly `version`.
    pub fn get(&self, key: &PageKey, version: i64) -> Option<Bytes> {
        self.pages
            .get_if(key, |(stored, _)| *stored == version)
            .map(|(_, body)| body)
    }

    /// Stores a page queried after `version` was read.
    pub fn put(&self, key: PageKey, version: i64, body: Bytes) {
        self.pages.insert(key, (version, body));
    }
}
