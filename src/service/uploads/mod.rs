//! Resumable uploads (tus 1.0.0, SPEC §6): an upload is declared with its length, its
//! bytes arrive over any number of requests into `tmp/uploads/<id>`, and on the last byte
//! the file is committed into the drive exactly like any other upload.
//!
//! Rules: an offset is acknowledged only after its bytes are fsync'd and recorded; one
//! request at a time writes an upload (a second one is refused, not queued); the running
//! SHA-256 lives in memory and is rebuilt from disk whenever it does not cover exactly the
//! acknowledged prefix (after a restart or an aborted request).

mod finish;
pub mod partial;
mod sweep;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::Sha256;
use tokio::io::AsyncRead;
use tokio::sync::OwnedMutexGuard;

use crate::db::uploads::{self as rows, NewUpload};
pub use crate::db::uploads::{UploadRecord, UploadStatus};
use crate::db::{now, Db, DbError};
use crate::ids::{EntryId, UserId};
use crate::service::drive::names::FileName;
use crate::service::drive::upload::OnConflict;
use crate::service::drive::{check_mtime, Drive, DriveError};
use crate::store::{pump, StoreError};
use partial::{Appender, Checksum};

/// Everything that can go wrong with a resumable upload.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("not found")]
    NotFound,
    #[error("this upload expired and its bytes were removed")]
    Expired,
    #[error("this upload failed ({0}); start a new one")]
    Failed(String),
    #[error("Upload-Offset {given} does not match the upload's offset {expected}")]
    OffsetMismatch { given: u64, expected: u64 },
    #[error("another request is writing to this upload")]
    Busy,
    #[error("the bytes do not match Upload-Checksum; they were discarded")]
    ChecksumMismatch,
    #[error("more bytes than the declared Upload-Length")]
    PastLength,
    #[error(transparent)]
    Drive(#[from] DriveError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("upload storage: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StoreError> for UploadError {
    fn from(error: StoreError) -> Self {
        UploadError::Drive(error.into())
    }
}

pub type UploadResult<T> = Result<T, UploadError>;

/// A new upload as the client declared it.
pub struct Declared {
    pub name: FileName,
    pub parent: Option<EntryId>,
    pub policy: OnConflict,
    pub size: u64,
    /// The raw `Upload-Metadata` header, echoed back on HEAD.
    pub metadata: String,
    /// The finished file's `modified_at` (tus `mtime`); `None`: the commit's time.
    pub modified_at: Option<i64>,
}

/// The `error` of an upload that expired.
const EXPIRED: &str = "upload_expired";
/// Why an upload whose acknowledged bytes are no longer on disk (a restore without
/// `tmp/uploads/`, a disk fault) failed: the client must start again.
const LOST: &str = "its bytes are no longer on the server";

/// The hash of an upload's acknowledged prefix, kept between requests.
#[derive(Default)]
struct Cursor {
    hashed: Option<(u64, Sha256)>,
}

type CursorGuard = OwnedMutexGuard<Cursor>;

pub struct Uploads {
    db: Db,
    drive: Arc<Drive>,
    dir: PathBuf,
    ttl_s: i64,
    cursors: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Cursor>>>>,
}

impl Uploads {
    pub fn new(db: Db, drive: Arc<Drive>, dir: PathBuf, ttl_s: u64) -> Self {
        Self {
            db,
            drive,
            dir,
            ttl_s: i64::try_from(ttl_s).unwrap_or(i64::MAX / 2),
            cursors: Mutex::new(HashMap::new()),
        }
    }

    /// Largest upload accepted now: `limits.max_upload_bytes` when set, else the free
    /// space of the data filesystem.
    pub fn size_limit(&self) -> Option<u64> {
        self.drive
            .max_upload
            .or_else(|| crate::store::data_dir::free_bytes(&self.dir).ok())
    }

    /// My upload, whatever its state (`GET /uploads/{id}`).
    pub async fn get(&self, owner: UserId, id: i64) -> UploadResult<UploadRecord> {
        self.record(owner, id).await
    }

    fn path(&self, id: i64) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Checks name, folder, conflict policy, modification time, size limit and quota
    /// (counting my other unfinished uploads as used), then records the upload and creates
    /// its empty file.
    pub async fn create(&self, owner: UserId, declared: Declared) -> UploadResult<UploadRecord> {
        declared.modified_at.map(check_mtime).transpose()?;
        let credit = self.check_target(owner, &declared).await?;
        let reserved = self.db.run(move |c| rows::reserved(c, owner.0)).await?;
        self.drive
            .precheck_reserving(owner, declared.size, reserved.max(0) as u64, credit)
            .await?;
        let created_at = now();
        let expires_at = created_at.saturating_add(self.ttl_s);
        let size =
            i64::try_from(declared.size).map_err(|_| DriveError::TooLarge(i64::MAX as u64))?;
        let id = self
            .db
            .write(move |tx| -> Result<i64, DbError> {
                let new = NewUpload {
                    owner_id: owner.0,
                    name: declared.name.as_str(),
                    parent_id: EntryId::raw(declared.parent),
                    on_conflict: declared.policy.as_str(),
                    size,
                    metadata: &declared.metadata,
                    expires_at,
                    modified_at: declared.modified_at,
                };
                rows::insert(tx, &new, created_at)
            })
            .await?;
        let path = self.path(id);
        if let Err(error) = blocking(move || partial::create(&path)).await {
            let _ = self.db.write(move |tx| rows::delete(tx, id)).await;
            return Err(StoreError::from(error).into());
        }
        if size == 0 {
            let guard = self.lock(id)?;
            return self.finish(owner, id, guard).await;
        }
        self.record(owner, id).await
    }

    /// tus creation, with the request's bytes when it carries some (creation-with-upload,
    /// appended from offset 0). The upload exists once created: a body that breaks off or
    /// fails its checksum leaves it at the offset it reached, for the client to resume.
    pub async fn create_with_body<R: AsyncRead + Unpin>(
        &self,
        owner: UserId,
        declared: Declared,
        body: Option<(Option<Checksum>, &mut R)>,
    ) -> UploadResult<UploadRecord> {
        let created = self.create(owner, declared).await?;
        let Some((checksum, reader)) = body else {
            return Ok(created);
        };
        match self.append(owner, created.id, 0, checksum, reader).await {
            Ok(record) => Ok(record),
            Err(
                UploadError::ChecksumMismatch | UploadError::Drive(DriveError::BodyInterrupted(_)),
            ) => self.get(owner, created.id).await,
            Err(error) => Err(error),
        }
    }

    /// The folder must exist and, for `fail`, the name must be free; returns the size of
    /// the file an `overwrite` would replace (charged only the difference).
    async fn check_target(&self, owner: UserId, declared: &Declared) -> UploadResult<u64> {
        let names = vec![declared.name.clone()];
        let parent = declared.parent;
        self.drive.folder_exists(owner, parent).await?;
        match declared.policy {
            OnConflict::Overwrite => Ok(self.drive.replaceable(owner, parent, names).await?),
            OnConflict::Fail if self.drive.name_taken(owner, parent, names).await? => {
                Err(DriveError::NameConflict.into())
            }
            OnConflict::Fail | OnConflict::Rename => Ok(0),
        }
    }

    /// The upload as HEAD reports it. An upload whose last byte arrived but whose commit
    /// was cut short (a crash) is committed now.
    pub async fn status(&self, owner: UserId, id: i64) -> UploadResult<UploadRecord> {
        let record = self.live(owner, id).await?;
        if record.status.is_open() && record.received == record.size {
            if let Ok(guard) = self.lock(id) {
                return self.finish(owner, id, guard).await;
            }
        }
        Ok(record)
    }

    /// Appends one request's bytes at `offset`. A request that breaks off keeps what
    /// arrived (unless it carried a checksum, which then cannot be verified).
    pub async fn append<R: AsyncRead + Unpin>(
        &self,
        owner: UserId,
        id: i64,
        offset: u64,
        checksum: Option<Checksum>,
        mut reader: R,
    ) -> UploadResult<UploadRecord> {
        // Not mine or unknown: 404 before a lock slot is made for the id.
        self.record(owner, id).await?;
        let mut guard = self.lock(id)?;
        let record = self.live(owner, id).await?;
        let (received, size) = (record.received as u64, record.size as u64);
        if record.status == UploadStatus::Completed && offset == size {
            return Ok(record);
        }
        if offset != received || !record.status.is_open() {
            return Err(UploadError::OffsetMismatch {
                given: offset,
                expected: received,
            });
        }
        let hashed = guard
            .hashed
            .take()
            .filter(|(n, _)| *n == received)
            .map(|(_, h)| h);
        let path = self.path(id);
        let check = checksum.clone();
        let appender =
            blocking(move || Appender::open(&path, received, hashed, check.as_ref())).await?;
        let pumped = pump(&mut reader, appender, Some(size - received)).await?;
        let mut appender = pumped.sink;
        let verified = pumped.error.is_none() && appender.checksum_matches(checksum.as_ref());
        let keep = match &pumped.error {
            None if verified => pumped.bytes,
            // The connection broke: keep what arrived, as tus asks, unless a checksum
            // was to vouch for the whole request.
            Some(StoreError::Interrupted(_)) if checksum.is_none() => pumped.bytes,
            _ => 0,
        };
        let end = received + keep;
        let appender = blocking(move || appender.settle(end).map(|()| appender)).await?;
        if keep > 0 {
            self.advance(id, end).await?;
        }
        if keep == pumped.bytes {
            guard.hashed = Some((end, appender.digests.whole));
        }
        match pumped.error {
            Some(StoreError::LimitExceeded { .. }) => return Err(UploadError::PastLength),
            Some(error) => return Err(error.into()),
            None if !verified => return Err(UploadError::ChecksumMismatch),
            None => {}
        }
        if end == size {
            return self.finish(owner, id, guard).await;
        }
        self.record(owner, id).await
    }

    /// Records the new offset and pushes the expiry out (it slides with activity).
    async fn advance(&self, id: i64, end: u64) -> UploadResult<()> {
        let at = now();
        let expires_at = at.saturating_add(self.ttl_s);
        let end = end as i64;
        self.db
            .write(move |tx| rows::advance(tx, id, end, at, expires_at))
            .await?;
        Ok(())
    }

    /// tus termination: the row and the bytes go (a completed upload's file stays).
    pub async fn terminate(&self, owner: UserId, id: i64) -> UploadResult<()> {
        self.record(owner, id).await?;
        let _guard = self.lock(id)?;
        self.record(owner, id).await?;
        self.db.write(move |tx| rows::delete(tx, id)).await?;
        self.discard(id).await;
        Ok(())
    }

    /// A page of my uploads (optionally only `ids`), newest first, and the total.
    pub async fn list(
        &self,
        owner: UserId,
        ids: Option<Vec<i64>>,
        limit: i64,
        offset: i64,
    ) -> UploadResult<(Vec<UploadRecord>, i64)> {
        Ok(self
            .db
            .run(move |c| rows::list(c, owner.0, ids.as_deref(), limit, offset))
            .await?)
    }

    /// My upload, still usable: expired ones (expiring it now when its time is up) and
    /// failed ones are gone (410), and so is an open one whose acknowledged bytes are no
    /// longer on disk (failing it now, so that no offset is promised that cannot resume).
    async fn live(&self, owner: UserId, id: i64) -> UploadResult<UploadRecord> {
        let record = self.record(owner, id).await?;
        if record.status.is_open() && record.expires_at <= now() {
            self.expire(id).await?;
            return Err(UploadError::Expired);
        }
        if record.status.is_open() && !self.bytes_present(id, record.received).await {
            self.db
                .write(move |tx| rows::fail(tx, id, LOST, now()))
                .await?;
            self.discard(id).await;
            return Err(UploadError::Failed(LOST.into()));
        }
        match (record.status, record.error.as_deref()) {
            (UploadStatus::Failed, Some(EXPIRED)) => Err(UploadError::Expired),
            (UploadStatus::Failed, error) => {
                Err(UploadError::Failed(error.unwrap_or("internal").to_owned()))
            }
            _ => Ok(record),
        }
    }

    /// Whether the upload's file holds at least its `received` bytes (nothing is needed
    /// before the first byte).
    async fn bytes_present(&self, id: i64, received: i64) -> bool {
        if received <= 0 {
            return true;
        }
        let path = self.path(id);
        let len = blocking(move || std::fs::metadata(&path).map(|m| m.len())).await;
        len.is_ok_and(|len| len >= received as u64)
    }

    async fn record(&self, owner: UserId, id: i64) -> UploadResult<UploadRecord> {
        self.db
            .run(move |c| rows::get(c, owner.0, id))
            .await?
            .ok_or(UploadError::NotFound)
    }

    async fn expire(&self, id: i64) -> UploadResult<()> {
        self.db
            .write(move |tx| rows::fail(tx, id, EXPIRED, now()))
            .await?;
        self.discard(id).await;
        Ok(())
    }

    /// Removes an upload's bytes and its cursor.
    async fn discard(&self, id: i64) {
        let path = self.path(id);
        if let Err(error) = blocking(move || partial::remove(&path)).await {
            tracing::warn!(upload = id, %error, "could not remove an upload's bytes");
        }
        if let Ok(mut cursors) = self.cursors.lock() {
            cursors.remove(&id);
        }
    }

    /// Drops the lock slots of uploads that are no longer open (finished, failed or gone)
    /// and that nobody holds, so the map stays as small as the set of open uploads.
    fn forget_closed_cursors(&self, open: &HashSet<i64>) {
        if let Ok(mut cursors) = self.cursors.lock() {
            cursors.retain(|id, cursor| open.contains(id) || Arc::strong_count(cursor) > 1);
        }
    }

    /// The upload's write lock, without waiting: a second writer is refused (409).
    fn lock(&self, id: i64) -> UploadResult<CursorGuard> {
        let cursor = self
            .cursors
            .lock()
            .map_err(|_| std::io::Error::other("upload cursors poisoned"))?
            .entry(id)
            .or_default()
            .clone();
        cursor.try_lock_owned().map_err(|_| UploadError::Busy)
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BlobStore;

    fn uploads(dir: &std::path::Path) -> Result<Uploads, DbError> {
        let db = Db::open(&dir.join("t.db"))?;
        let store = Arc::new(BlobStore::new(
            dir.join("blobs"),
            dir.join("tmp"),
            dir.join("thumbs"),
        ));
        let drive = Arc::new(Drive::new(db.clone(), store, None, 30, &Default::default()));
        Ok(Uploads::new(db, drive, dir.join("uploads"), 60))
    }

    fn slots(uploads: &Uploads) -> usize {
        uploads.cursors.lock().map_or(usize::MAX, |c| c.len())
    }

    #[tokio::test]
    async fn lock_slots_exist_only_for_known_uploads_and_are_pruned_when_closed(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let uploads = uploads(dir.path())?;
        let refused = uploads.append(UserId(1), 999, 0, None, &b"x"[..]).await;
        assert!(matches!(refused, Err(UploadError::NotFound)));
        assert_eq!(slots(&uploads), 0, "an unknown id leaves no slot");

        let held = uploads.lock(7)?;
        uploads.forget_closed_cursors(&HashSet::new());
        assert_eq!(slots(&uploads), 1, "a held slot stays");
        drop(held);
        uploads.forget_closed_cursors(&HashSet::from([8]));
        assert_eq!(slots(&uploads), 0, "a free slot of a closed upload goes");
        Ok(())
    }
}
