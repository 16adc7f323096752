//! WebDAV write locks (RFC 4918 §6–7, SPEC §11): exclusive and shared, Depth 0 or
//! infinity, with timeouts, on paths of one user's tree, kept in SQLite so they survive a
//! restart. A lock guards writes: a request that changes a locked resource must submit
//! the lock's token (the `If` header), whoever sends it.

use crate::db::dav_locks::{self, LockRow};
use crate::db::{now, Db, DbError};
use crate::ids::UserId;

/// Longest lock lifetime granted; `Infinite` and longer requests get this.
pub const MAX_TIMEOUT_S: i64 = 7 * 24 * 3600;
/// What a LOCK without a `Timeout` header gets.
pub const DEFAULT_TIMEOUT_S: i64 = 3600;
/// Live locks that may touch one path at once (a bound on shared locks piling up).
pub const MAX_LOCKS_PER_PATH: usize = 64;

pub type Lock = LockRow;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// A lock that the request did not submit guards the resource (423); names its root.
    #[error("the resource is locked")]
    Locked(String),
    /// A new lock conflicts with an existing one (423 `no-conflicting-lock`).
    #[error("a conflicting lock exists")]
    Conflict(String),
    /// The token names no live lock of this resource.
    #[error("no such lock on this resource")]
    NoSuchLock,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What a LOCK asks for.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub deep: bool,
    pub shared: bool,
    pub holder: String,
    pub timeout_s: i64,
}

/// A write about to happen at `path`, and which tokens came with it.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub path: &'a str,
    /// It changes everything below `path` too (DELETE or MOVE of a folder).
    pub deep: bool,
    /// It adds or removes `path` itself, so a lock on the parent folder guards it.
    pub membership: bool,
    pub submitted: &'a [String],
}

pub struct Locks {
    db: Db,
}

/// `/a/b/c` → `["/", "/a", "/a/b"]`.
pub fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    if path == "/" {
        return out;
    }
    out.push("/".to_owned());
    let mut at = 0;
    while let Some(next) = path[at + 1..].find('/') {
        at += next + 1;
        out.push(path[..at].to_owned());
    }
    out
}

/// The parent of `/a/b` (`/a`); of `/a`, `/`.
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(at) => &path[..at],
    }
}

/// Whether `lock` covers `path`: it is on it, or on an ancestor with Depth infinity.
pub fn covers_path(lock: &Lock, path: &str) -> bool {
    lock.path == path
        || (lock.deep && (lock.path == "/" || path.starts_with(&format!("{}/", lock.path))))
}

/// Clamps a requested timeout (None: `Infinite`) into what the server grants.
pub fn grant_timeout(requested: Option<i64>) -> i64 {
    requested.unwrap_or(MAX_TIMEOUT_S).clamp(1, MAX_TIMEOUT_S)
}

impl Locks {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Live locks on `path` or inherited from an ancestor (what `lockdiscovery` shows).
    pub async fn on(&self, owner: UserId, path: &str) -> Result<Vec<Lock>, LockError> {
        self.touching(owner, path, false).await
    }

    /// Live locks on `path`, inherited from above, or anywhere below (one PROPFIND's worth).
    pub async fn within(&self, owner: UserId, path: &str) -> Result<Vec<Lock>, LockError> {
        self.touching(owner, path, true).await
    }

    async fn touching(
        &self,
        owner: UserId,
        path: &str,
        below: bool,
    ) -> Result<Vec<Lock>, LockError> {
        let path = path.to_owned();
        Ok(self
            .db
            .run(move |conn| {
                dav_locks::touching(conn, owner.0, &path, &ancestors(&path), below, now())
            })
            .await?)
    }

    /// Whether the live lock `token` covers `path` (for `If` state tokens).
    pub async fn covers(&self, owner: UserId, path: &str, token: &str) -> Result<bool, LockError> {
        Ok(self.on(owner, path).await?.iter().any(|l| l.token == token))
    }

    /// `Locked` unless, for each locked path guarding this write, a token of one of its
    /// locks was submitted (an exclusive lock has one token; any holder of a shared lock
    /// may write).
    pub async fn check(&self, owner: UserId, write: Write<'_>) -> Result<(), LockError> {
        let mut guarding = self.touching(owner, write.path, write.deep).await?;
        if write.membership && write.path != "/" {
            let up = parent(write.path);
            guarding.extend(self.touching(owner, up, false).await?);
        }
        let unmet = guarding.iter().find(|lock| {
            !guarding
                .iter()
                .any(|held| held.path == lock.path && write.submitted.contains(&held.token))
        });
        match unmet {
            Some(lock) => Err(LockError::Locked(lock.path.clone())),
            None => Ok(()),
        }
    }

    /// Takes a new lock, refusing one that conflicts (an exclusive lock conflicts with any
    /// other; shared locks only with exclusive ones).
    pub async fn lock(
        &self,
        owner: UserId,
        path: &str,
        request: LockRequest,
    ) -> Result<Lock, LockError> {
        let path = path.to_owned();
        self.db
            .write(move |tx| -> Result<Lock, LockError> {
                let now = now();
                dav_locks::delete_expired(tx, now)?;
                let existing =
                    dav_locks::touching(tx, owner.0, &path, &ancestors(&path), request.deep, now)?;
                if existing.len() >= MAX_LOCKS_PER_PATH {
                    return Err(LockError::Conflict(path));
                }
                if let Some(clash) = existing
                    .iter()
                    .find(|held| !(held.shared && request.shared))
                {
                    return Err(LockError::Conflict(clash.path.clone()));
                }
                let lock = LockRow {
                    token: format!("opaquelocktoken:{}", uuid()),
                    path,
                    deep: request.deep,
                    shared: request.shared,
                    holder: request.holder,
                    timeout_s: request.timeout_s,
                    expires_at: now.saturating_add(request.timeout_s),
                };
                dav_locks::insert(tx, owner.0, &lock, now)?;
                Ok(lock)
            })
            .await
    }

    /// Extends a lock that covers `path`.
    pub async fn refresh(
        &self,
        owner: UserId,
        path: &str,
        token: &str,
        timeout_s: i64,
    ) -> Result<Lock, LockError> {
        let mut lock = self
            .on(owner, path)
            .await?
            .into_iter()
            .find(|l| l.token == token)
            .ok_or(LockError::NoSuchLock)?;
        lock.timeout_s = timeout_s;
        lock.expires_at = now().saturating_add(timeout_s);
        let row = lock.clone();
        self.db
            .write(move |tx| dav_locks::refresh(tx, &row.token, row.timeout_s, row.expires_at))
            .await?;
        Ok(lock)
    }

    /// Removes a lock that covers `path`.
    pub async fn unlock(&self, owner: UserId, path: &str, token: &str) -> Result<(), LockError> {
        if !self.covers(owner, path, token).await? {
            return Err(LockError::NoSuchLock);
        }
        let token = token.to_owned();
        self.db
            .write(move |tx| dav_locks::delete(tx, owner.0, &token))
            .await?;
        Ok(())
    }

    /// Drops the locks on `path` and below: the resource was deleted or moved away.
    pub async fn forget(&self, owner: UserId, path: &str) -> Result<(), LockError> {
        let path = path.to_owned();
        self.db
            .write(move |tx| dav_locks::delete_tree(tx, owner.0, &path))
            .await?;
        Ok(())
    }

    /// Deletes expired locks (housekeeping).
    pub async fn sweep(&self) -> Result<usize, LockError> {
        Ok(self
            .db
            .write(move |tx| dav_locks::delete_expired(tx, now()))
            .await?)
    }
}

/// A random (version 4) UUID, as RFC 4918 §20.7's `opaquelocktoken` wants.
fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::secret::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_and_parents() {
        assert_eq!(ancestors("/"), Vec::<String>::new());
        assert_eq!(ancestors("/a"), vec!["/"]);
        assert_eq!(ancestors("/a/b/c"), vec!["/", "/a", "/a/b"]);
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
