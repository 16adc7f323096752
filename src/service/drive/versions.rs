//! Versions (SPEC §13): a replaced content stays as a row pointing at its blob. The blob
//! reference moves from the entry to the version (no byte is copied), versions count
//! toward the owner's `storage_used`, and they are dropped by retention (count and age,
//! on every new version and by the sweeper), by quota pressure (oldest first, before an
//! upload is refused), by their owner, or with their file when it is purged.

use rusqlite::Connection;

use super::namespace::live_file;
use super::{release_all, Drive, DriveError, DriveResult, Entry};
use crate::config::VersionsConfig;
use crate::db::entries::{self, EntryRecord, FileContent};
use crate::db::versions;
pub use crate::db::versions::VersionRecord;
use crate::db::{self, now};
use crate::ids::{EntryId, UserId};
use crate::store::BlobId;

/// Versions the sweeper drops per transaction.
const SWEEP_BATCH: i64 = 500;

/// Through which door a content arrived: recorded with it and shown with its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `POST /files` (multipart: the web UI, scripts).
    Upload,
    /// `PUT /files/by-path`.
    Put,
    /// tus.
    Resumable,
    WebDav,
    /// An earlier version made current again.
    Restore,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Put => "put",
            Self::Resumable => "resumable",
            Self::WebDav => "webdav",
            Self::Restore => "restore",
        }
    }
}

impl Drive {
    /// A page of one of the owner's live files' versions, newest first.
    pub async fn versions(
        &self,
        owner: UserId,
        file: EntryId,
        limit: i64,
        offset: i64,
    ) -> DriveResult<(Vec<VersionRecord>, i64)> {
        self.db
            .run(move |conn| -> DriveResult<_> {
                live_file(conn, owner, file)?;
                Ok(versions::page(conn, file.0, limit, offset)?)
            })
            .await
    }

    /// One version of one of the owner's live files, with the file, for serving its bytes.
    pub async fn version(
        &self,
        owner: UserId,
        file: EntryId,
        id: i64,
    ) -> DriveResult<(EntryRecord, VersionRecord)> {
        self.db
            .run(move |conn| -> DriveResult<_> {
                let entry = live_file(conn, owner, file)?;
                let version = versions::get(conn, file.0, id)?.ok_or(DriveError::NotFound)?;
                Ok((entry, version))
            })
            .await
    }

    /// Makes a version the current content; the current content becomes a version (the
    /// count stays), the entry keeps its id. Nothing is charged: both stay counted.
    pub async fn restore_version(
        &self,
        owner: UserId,
        file: EntryId,
        id: i64,
    ) -> DriveResult<Entry> {
        let retention = self.versions_config;
        let (entry, freed) = self
            .db
            .write(move |tx| -> DriveResult<_> {
                let current = live_file(tx, owner, file)?;
                let version = versions::get(tx, file.0, id)?.ok_or(DriveError::NotFound)?;
                let now = now();
                versions::insert(tx, &current, now)?;
                versions::delete(tx, version.id)?;
                let content = FileContent {
                    size: version.size,
                    sha256: &version.sha256,
                    mime_type: version.mime_type.as_deref().unwrap_or_default(),
                    modified_at: version.modified_at,
                    uploaded_by: Some(owner.0),
                    source: Some(Source::Restore.as_str()),
                };
                entries::replace_content(tx, current.id, &content, now)?;
                let freed = trim(tx, current.id, retention, now)?;
                let record = live_file(tx, owner, file)?;
                let path = entries::path_of(tx, record.id)?;
                Ok((Entry { record, path }, freed))
            })
            .await?;
        self.reap(freed).await;
        Ok(entry)
    }

    /// Deletes one version; its bytes no longer count, its blob goes when unreferenced.
    pub async fn delete_version(&self, owner: UserId, file: EntryId, id: i64) -> DriveResult<()> {
        let freed = self
            .db
            .write(move |tx| -> DriveResult<_> {
                live_file(tx, owner, file)?;
                let version = versions::get(tx, file.0, id)?.ok_or(DriveError::NotFound)?;
                drop_version(tx, &version)
            })
            .await?;
        self.reap(freed).await;
        Ok(())
    }

    /// Applies retention to every file: versions older than `max_age_days`, and those past
    /// `max_per_file` (after it was lowered). Returns how many were dropped.
    pub async fn sweep_versions(&self) -> DriveResult<usize> {
        let retention = self.versions_config;
        let mut dropped = 0;
        loop {
            let (count, freed) = self
                .db
                .write(move |tx| -> DriveResult<_> {
                    let mut doomed = match expiry(retention, now()) {
                        Some(before) => versions::older_than(tx, before, SWEEP_BATCH)?,
                        None => Vec::new(),
                    };
                    let keep = i64::from(retention.max_per_file);
                    for file in versions::crowded(tx, keep, SWEEP_BATCH)? {
                        doomed.extend(versions::beyond(tx, file, keep)?);
                    }
                    drop_all(tx, doomed)
                })
                .await?;
            self.reap(freed).await;
            dropped += count;
            if count == 0 {
                return Ok(dropped);
            }
        }
    }
}

/// Inside the transaction that replaces `old`'s content with `new`: keeps the old content
/// as a version (its blob reference moves to the version row) unless versions are off, the
/// content is unchanged, or it is empty — an empty file holds no work to lose, and clients
/// that create a file empty before writing it (Finder, a WebDAV `LOCK` on a new name)
/// would leave one on every save. Returns whether it was kept; when it was not, the caller
/// releases the old reference as before versions existed.
pub(crate) fn keep_old(
    tx: &Connection,
    old: &EntryRecord,
    new: &BlobId,
    retention: VersionsConfig,
    now: i64,
) -> DriveResult<bool> {
    let unchanged = old.sha256.as_ref() == Some(new);
    if retention.max_per_file == 0 || unchanged || old.size == 0 || old.sha256.is_none() {
        return Ok(false);
    }
    versions::insert(tx, old, now)?;
    Ok(true)
}

/// Retention for one file, applied when it gains a version: past `max_per_file` (oldest
/// first) or older than `max_age_days`. Returns the hashes now unreferenced.
pub(crate) fn trim(
    tx: &Connection,
    file: i64,
    retention: VersionsConfig,
    now: i64,
) -> DriveResult<Vec<BlobId>> {
    let mut doomed = versions::beyond(tx, file, i64::from(retention.max_per_file))?;
    if let Some(before) = expiry(retention, now) {
        doomed.extend(versions::expired_of(tx, file, before)?);
    }
    Ok(drop_all(tx, doomed)?.1)
}

/// Drops each version once (a version may be doomed by age and by count); returns how many
/// and the hashes now unreferenced.
fn drop_all(tx: &Connection, mut doomed: Vec<VersionRecord>) -> DriveResult<(usize, Vec<BlobId>)> {
    doomed.sort_by_key(|v| v.id);
    doomed.dedup_by_key(|v| v.id);
    let mut freed = Vec::new();
    for version in &doomed {
        freed.extend(drop_version(tx, version)?);
    }
    Ok((doomed.len(), freed))
}

/// Adds `delta` bytes to the owner's usage; when that would pass the quota, drops the
/// owner's oldest versions first (never a current file, never the trash), and refuses only
/// when none is left. Returns the hashes the dropped versions released; on refusal the
/// caller's transaction rolls the drops back with everything else.
pub(crate) fn charge_making_room(
    tx: &Connection,
    owner: UserId,
    delta: i64,
) -> DriveResult<Vec<BlobId>> {
    let mut freed = Vec::new();
    loop {
        let (used, quota) = db::users::usage(tx, owner.0)?;
        if delta <= 0 || quota.is_none_or(|q| used + delta <= q) {
            db::users::add_usage(tx, owner.0, delta)?;
            return Ok(freed);
        }
        let oldest = versions::oldest_of(tx, owner.0)?.ok_or(DriveError::QuotaExceeded)?;
        freed.extend(drop_version(tx, &oldest)?);
    }
}

/// The owner's usage and quota as an upload sees them: bytes held by versions are room it
/// may reclaim, so they are left out of `used`.
pub(crate) fn usage_for_upload(
    conn: &Connection,
    owner: UserId,
) -> DriveResult<(i64, Option<i64>)> {
    let (used, quota) = db::users::usage(conn, owner.0)?;
    Ok((used - versions::owner_bytes(conn, owner.0)?, quota))
}

/// Deletes one version: its bytes leave the owner's usage and its blob reference is
/// released (returned when that was the last one).
fn drop_version(tx: &Connection, version: &VersionRecord) -> DriveResult<Vec<BlobId>> {
    versions::delete(tx, version.id)?;
    db::users::add_usage(tx, version.owner_id, -version.size)?;
    Ok(release_all(tx, vec![version.sha256.clone()])?)
}

/// Versions replaced before this time are past `max_age_days` (None: no age limit).
fn expiry(retention: VersionsConfig, now: i64) -> Option<i64> {
    (retention.max_age_days > 0).then(|| now - i64::from(retention.max_age_days) * 86_400)
}
