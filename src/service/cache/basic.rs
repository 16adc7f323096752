//! Verified HTTP Basic passwords (SPEC §11): a client that sends Basic on every request
//! must not pay an Argon2 verification each time. The key is a keyed hash of the login
//! and the password (the key is random per process), never the secret itself; the value
//! names the user and the password hash it was checked against, so a password change
//! misses at once. Logout-all forgets every entry of the user.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use moka::sync::Cache;
use sha2::Sha256;

use super::registry::{Counters, Flushable};
use crate::ids::UserId;

/// How long a verified password is remembered.
pub const BASIC_TTL: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct Grant {
    pub user: UserId,
    /// The stored hash the password matched.
    pub password_hash: std::sync::Arc<str>,
}

pub struct BasicCredentials {
    key: [u8; 32],
    entries: Cache<[u8; 32], Grant>,
    epoch: AtomicU64,
    counters: Counters,
}

impl Default for BasicCredentials {
    fn default() -> Self {
        Self {
            key: rand::random(),
            entries: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(BASIC_TTL)
                .support_invalidation_closures()
                .build(),
            epoch: AtomicU64::new(0),
            counters: Counters::default(),
        }
    }
}

impl BasicCredentials {
    /// The cache key of a login and password.
    pub fn key(&self, login: &str, password: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(login.to_lowercase().as_bytes());
        mac.update(&[0]);
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<Grant> {
        self.counters.count(self.entries.get(key))
    }

    /// The epoch to pass to [`BasicCredentials::insert`], read before verifying.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Remembers a verified password unless a user was forgotten since `epoch`.
    pub fn insert(&self, key: [u8; 32], grant: Grant, epoch: u64) {
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.entries.insert(key, grant);
        }
    }

    pub fn forget_user(&self, user: UserId) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if self
            .entries
            .invalidate_entries_if(move |_, grant| grant.user == user)
            .is_err()
        {
            self.entries.invalidate_all();
        }
    }
}

impl Flushable for BasicCredentials {
    fn name(&self) -> &'static str {
        "basic_credentials"
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
