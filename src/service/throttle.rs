//! Fixed-window attempt counters (login failures, registrations, share passwords), kept in
//! a bounded moka cache whose entries expire with their window.

use std::time::{Duration, Instant};

use moka::sync::Cache;

/// A key that has used up its window: retry in `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts, retry in {retry_after} s")]
pub struct RateLimited {
    pub retry_after: u64,
}

#[derive(Clone, Copy)]
struct Window {
    count: u32,
    started: Instant,
}

/// Counts events per key and refuses once `limit` is reached within `window`.
pub struct Throttle {
    limit: u32,
    window: Duration,
    counts: Cache<String, Window>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            counts: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// `Err(RateLimited)` while the key has used up its window.
    pub fn check(&self, key: &str) -> Result<(), RateLimited> {
        match self.counts.get(key) {
            Some(window) if window.count >= self.limit => Err(self.limited(window)),
            _ => Ok(()),
        }
    }

    /// Counts one event for the key.
    pub fn record(&self, key: &str) {
        let window = self.window;
        self.counts
            .entry(key.to_owned())
            .and_upsert_with(|entry| match entry {
                Some(entry) if entry.value().started.elapsed() < window => {
                    let current = *entry.value();
                    Window {
                        count: current.count.saturating_add(1),
                        ..current
                    }
                }
                _ => Window {
                    count: 1,
                    started: Instant::now(),
                },
            });
    }

    /// Counts one event and refuses it if the key was already at its limit.
    pub fn hit(&self, key: &str) -> Result<(), RateLimited> {
        self.check(key)?;
        self.record(key);
        Ok(())
    }

    pub fn reset(&self, key: &str) {
        self.counts.invalidate(key);
    }

    fn limited(&self, window: Window) -> RateLimited {
        let left = self.window.saturating_sub(window.started.elapsed());
        RateLimited {
            retry_after: left.as_secs().max(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_and_forgets_on_reset() {
        let throttle = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            throttle.hit("k").unwrap();
        }
        match throttle.check("k") {
            Err(RateLimited { retry_after }) => {
                assert!((1..=60).contains(&retry_after))
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        assert!(throttle.check("other").is_ok());
        throttle.reset("k");
        assert!(throttle.check("k").is_ok());
    }
}
