//! Verified HTTP Basic passwords (SPEC §11): a client that sends Basic on every request
//! must not pay an Argon2 verification each time. The key is a keyed hash of the login
//! and the password (the key is random per process), never the secret itself; the value
//! names the user and the password hash it was checked against, so a password change
//! misses at once. Logout-all forgets every entry of the user.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use moka::sync::Cache;
use sha2::Sha256;

use super::registry::CacheRegistry;
use super::Cached;
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
    entries: Arc<Cached<[u8; 32], Grant>>,
}

impl BasicCredentials {
    /// Registers its cache with `registry`.
    pub fn new(registry: &CacheRegistry) -> Self {
        let entries = Cache::builder()
            .max_capacity(10_000)
            .time_to_live(BASIC_TTL)
            .support_invalidation_closures()
            .build();
        Self {
            key: rand::random(),
            entries: registry.register(Cached::build("basic_credentials", entries)),
        }
    }

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
        self.entries.get(key)
    }

    /// The epoch to pass to [`BasicCredentials::insert`], read before verifying.
    pub fn epoch(&self) -> u64 {
        self.entries.epoch()
    }

    /// Remembers a verified password unless a user was forgotten since `epoch`.
    pub fn insert(&self, key: [u8; 32], grant: Grant, epoch: u64) {
        self.entries.insert_unless_invalidated(key, grant, epoch);
    }

    pub fn forget_user(&self, user: UserId) {
        self.entries
            .invalidate_if(move |_, grant| grant.user == user);
    }
}
