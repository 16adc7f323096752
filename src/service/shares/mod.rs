//! Share links (SPEC §7): an owner shares one file or folder under an unguessable token,
//! optionally with a password, an expiry and a download limit; anyone holding the token
//! reads it without an account (see `access` for that side).
//!
//! Decisions:
//! - A share is bound to the entry id: it follows renames and moves, answers 404 while the
//!   entry is in the trash (back once restored), and is deleted with the entry when the
//!   trash is purged or the owner deleted. A deactivated owner's shares answer 404.
//! - `PATCH`: an absent field changes nothing; `null` clears (no password, never expires,
//!   no limit); a value sets it. Every password change (set or clear) invalidates the
//!   unlock cookies issued before it.
//! - `expires_at` must lie in the future whenever it is set (create or update); to end a
//!   share at once, delete it.

pub mod access;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::passwords::{HashError, Passwords};
use super::throttle::{RateLimited, Throttle};
use crate::config::AuthConfig;
use crate::db::shares::{self, ShareSettings};
pub use crate::db::shares::{OwnedShare, SharedItem};
use crate::db::{entries, now, Db, DbError};
use crate::ids::{EntryId, UserId};
use crate::secret::{random_secret, ServerSecret};
use crate::service::drive::{Drive, DriveError};

/// Random bytes of a share token: 192 bits, 32 base64url characters.
pub const TOKEN_BYTES: usize = 24;
/// Longest share password, in characters.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Everything that can go wrong with shares.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("not found")]
    NotFound,
    #[error("this share has expired or reached its download limit")]
    Expired,
    #[error("this share is protected by a password")]
    PasswordRequired,
    #[error("wrong share password")]
    InvalidPassword,
    #[error("too many attempts, retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("some fields are invalid")]
    Validation(BTreeMap<String, String>),
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

impl From<RateLimited> for ShareError {
    fn from(limited: RateLimited) -> Self {
        ShareError::RateLimited {
            retry_after: limited.retry_after,
        }
    }
}

impl From<HashError> for ShareError {
    fn from(error: HashError) -> Self {
        ShareError::Internal(error.to_string())
    }
}

pub type ShareResult<T> = Result<T, ShareError>;

/// What a new share asks for (validated by [`Shares::create`]).
#[derive(Debug, Clone)]
pub struct NewShare {
    pub file_id: EntryId,
    pub password: Option<String>,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
}

/// A change: `None` keeps a setting, `Some(None)` clears it, `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default)]
pub struct ShareChange {
    pub password: Option<Option<String>>,
    pub expires_at: Option<Option<i64>>,
    pub max_downloads: Option<Option<i64>>,
}

pub struct Shares {
    db: Db,
    drive: Arc<Drive>,
    passwords: Passwords,
    unlock_key: Hmac<Sha256>,
    per_share: Throttle,
    per_ip: Throttle,
}

impl Shares {
    /// Share passwords are throttled with the login limits (`auth.login_failures_per_account`
    /// per share and client IP, `auth.login_failures_per_ip` per client IP, in the same
    /// window), on counters of their own.
    pub fn new(
        db: Db,
        drive: Arc<Drive>,
        passwords: Passwords,
        secret: &ServerSecret,
        config: &AuthConfig,
    ) -> Self {
        let unlock_key =
            <Hmac<Sha256> as Mac>::new_from_slice(&secret.derive("hoard share unlock"))
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        let window = Duration::from_secs(config.login_window_s);
        Self {
            db,
            drive,
            passwords,
            unlock_key,
            per_share: Throttle::new(config.login_failures_per_account, window),
            per_ip: Throttle::new(config.login_failures_per_ip, window),
        }
    }

    pub fn drive(&self) -> &Drive {
        &self.drive
    }

    /// Shares one of the owner's live files or folders.
    pub async fn create(&self, owner: UserId, new: NewShare) -> ShareResult<OwnedShare> {
        let mut problems = BTreeMap::new();
        check_password(new.password.as_deref(), &mut problems);
        check_settings(new.expires_at, new.max_downloads, &mut problems);
        if !problems.is_empty() {
            return Err(ShareError::Validation(problems));
        }
        let settings = ShareSettings {
            password_hash: self.hash(new.password).await?,
            password_version: 0,
            expires_at: new.expires_at,
            max_downloads: new.max_downloads,
        };
        let token = random_secret(TOKEN_BYTES);
        self.db
            .write(move |tx| {
                let (owner, file_id) = (owner.0, new.file_id.0);
                entries::live(tx, owner, file_id)?.ok_or(ShareError::NotFound)?;
                let id = shares::insert(tx, &token, owner, file_id, &settings, now())?;
                shares::owned(tx, owner, id)?.ok_or(ShareError::NotFound)
            })
            .await
    }

    /// A page of the owner's shares, newest first; only those of `file_id` when given.
    pub async fn list(
        &self,
        owner: UserId,
        file_id: Option<EntryId>,
        limit: i64,
        offset: i64,
    ) -> ShareResult<(Vec<OwnedShare>, i64)> {
        let (owner, file_id) = (owner.0, EntryId::raw(file_id));
        self.db
            .run(move |conn| Ok(shares::list_owned(conn, owner, file_id, limit, offset)?))
            .await
    }

    pub async fn get(&self, owner: UserId, id: i64) -> ShareResult<OwnedShare> {
        self.db
            .run(move |conn| shares::owned(conn, owner.0, id)?.ok_or(ShareError::NotFound))
            .await
    }

    pub async fn update(
        &self,
        owner: UserId,
        id: i64,
        change: ShareChange,
    ) -> ShareResult<OwnedShare> {
        let mut problems = BTreeMap::new();
        if let Some(password) = &change.password {
            check_password(password.as_deref(), &mut problems);
        }
        check_settings(
            change.expires_at.flatten(),
            change.max_downloads.flatten(),
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(ShareError::Validation(problems));
        }
        let new_hash = match change.password {
            Some(password) => Some(self.hash(password).await?),
            None => None,
        };
        let owner = owner.0;
        self.db
            .write(move |tx| {
                let current = shares::owned(tx, owner, id)?
                    .ok_or(ShareError::NotFound)?
                    .share;
                let mut settings = ShareSettings {
                    password_hash: current.password_hash,
                    password_version: current.password_version,
                    expires_at: change.expires_at.unwrap_or(current.expires_at),
                    max_downloads: change.max_downloads.unwrap_or(current.max_downloads),
                };
                if let Some(hash) = new_hash {
                    settings.password_hash = hash;
                    settings.password_version += 1;
                }
                shares::update(tx, id, &settings)?;
                shares::owned(tx, owner, id)?.ok_or(ShareError::NotFound)
            })
            .await
    }

    /// Revokes a share: its token answers 404 from now on.
    pub async fn delete(&self, owner: UserId, id: i64) -> ShareResult<()> {
        let deleted = self
            .db
            .write(move |tx| Ok::<_, ShareError>(shares::delete_owned(tx, owner.0, id)?))
            .await?;
        deleted.then_some(()).ok_or(ShareError::NotFound)
    }

    async fn hash(&self, password: Option<String>) -> ShareResult<Option<String>> {
        match password {
            Some(password) => Ok(Some(self.passwords.hash(&password).await?)),
            None => Ok(None),
        }
    }
}

/// Is the share past its expiry, or out of downloads?
pub fn is_spent(share: &shares::ShareRecord, now: i64) -> bool {
    share.expires_at.is_some_and(|at| at <= now)
        || share
            .max_downloads
            .is_some_and(|max| share.downloads >= max)
}

fn check_password(password: Option<&str>, problems: &mut BTreeMap<String, String>) {
    let Some(password) = password else { return };
    let chars = password.chars().count();
    if chars == 0 || chars > MAX_PASSWORD_CHARS {
        problems.insert(
            "password".into(),
            format!("must be 1 to {MAX_PASSWORD_CHARS} characters (null for none)"),
        );
    }
}

fn check_settings(
    expires_at: Option<i64>,
    max_downloads: Option<i64>,
    problems: &mut BTreeMap<String, String>,
) {
    if expires_at.is_some_and(|at| at <= now()) {
        problems.insert("expires_at".into(), "must be in the future".into());
    }
    if max_downloads.is_some_and(|max| max < 1) {
        problems.insert(
            "max_downloads".into(),
            "must be at least 1 (null for no limit)".into(),
        );
    }
}
