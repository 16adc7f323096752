//! Password hashing (argon2id, OWASP parameters) and the strength policy.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use tokio::sync::Semaphore;

use super::{AccountError, AccountResult};

/// The hasher itself failed (argon2, or its blocking task): never the user's fault.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HashError(String);

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Hashes and verifies off the async runtime, at most two at a time: each hash takes
/// ~30 ms of CPU and 19 MiB, and a burst of logins must not starve everything else.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// argon2 verifications run so far: lets a test see, without timing anything, that a
    /// login of an unknown user costs a real verification too.
    verifications: Arc<AtomicU64>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(2)),
            verifications: Arc::default(),
        }
    }
}

impl Passwords {
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.blocking(move || hash_now(&password)).await?
    }

    /// Checks `password` against `hash`; with no hash (unknown user, or an account without
    /// a password) a dummy hash is verified instead so every case costs the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let password = password.to_owned();
        let hash = hash.filter(|h| !h.is_empty()).map(str::to_owned);
        let verifications = self.verifications.clone();
        self.blocking(move || {
            let target = hash.as_deref().unwrap_or_else(|| dummy_hash());
            if target.starts_with("$argon2id$") {
                verifications.fetch_add(1, Ordering::Relaxed);
            }
            let matches = Argon2::default()
                .verify_password(password.as_bytes(), target)
                .is_ok();
            matches && hash.is_some()
        })
        .await
    }

    /// How many argon2id verifications (against a real or the dummy hash) have run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()))
    }
}

/// Synchronous hashing for the CLI.
pub fn hash_now(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(format!("argon2: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("hoard-dummy-password-for-timing").unwrap_or_default())
}

/// The SPEC §4 password rules: 8–128 characters, not the username or email, and a
/// zxcvbn score of at least 2 (with the username and email as known inputs).
pub fn check_strength(password: &str, username: &str, email: &str) -> AccountResult<()> {
    let problem = strength_problem(password, username, email);
    match problem {
        None => Ok(()),
        Some(reason) => Err(AccountError::WeakPassword(BTreeMap::from([(
            "password".into(),
            reason,
        )]))),
    }
}

fn strength_problem(password: &str, username: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LEN {
        return Some(format!("must be at least {MIN_LEN} characters"));
    }
    if length > MAX_LEN {
        return Some(format!("must be at most {MAX_LEN} characters"));
    }
    let lowered = password.to_lowercase();
    if lowered == username.to_lowercase() || lowered == email.to_lowercase() {
        return Some("must differ from the username and email".into());
    }
    let score = zxcvbn::zxcvbn(password, &[username, email]).score();
    if (score as u8) < 2 {
        return Some("too easy to guess; use a longer or less common password".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_identity_passwords_are_weak() {
        assert!(strength_problem("short", "alice", "a@example.com").is_some());
        assert!(strength_problem("password", "alice", "a@example.com").is_some());
        assert!(strength_problem("alice_wonder", "alice_wonder", "a@example.com").is_some());
        assert!(strength_problem(&"x".repeat(129), "alice", "a@example.com").is_some());
    }

    #[test]
    fn a_long_unusual_password_is_strong() {
        assert_eq!(
            strength_problem("correct horse battery staple", "alice", "a@example.com"),
            None
        );
        assert_eq!(
            strength_problem("pässwörd🔑-Ünïcode", "alice", "a@example.com"),
            None
        );
    }
}
