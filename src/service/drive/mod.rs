//! The drive: each user's tree of files and folders over the shared blob store, with
//! quotas, the trash, and the durability rules of SPEC §9.

mod batch;
mod listings;
mod modified;
pub mod names;
pub(crate) mod namespace;
mod objects;
pub mod props;
mod records;
mod thumbnails;
pub mod trash;
pub mod tree;
pub mod upload;
pub mod versions;

pub use crate::db::entries::{EntryRecord, Listing, SortKey};
pub use batch::UploadBatch;
pub use modified::{check_mtime, parse_mtime, MAX_MTIME};
pub use thumbnails::Thumbnail;

use std::sync::Arc;

use crate::config::VersionsConfig;
use crate::db::{self, Db, DbError};
use crate::ids::UserId;
use crate::service::cache::CacheRegistry;
use crate::store::{BlobAt, BlobId, BlobStore, StoreError};

/// Everything that can go wrong in the drive.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    InvalidName(String),
    #[error("an entry with this name already exists here")]
    NameConflict,
    #[error("a folder cannot be moved into itself or below itself")]
    InvalidMove,
    #[error("this would pass your storage quota")]
    QuotaExceeded,
    #[error("the server's disk is full")]
    StorageFull,
    #[error("upload is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("the request body ended before its end ({0})")]
    BodyInterrupted(String),
    #[error("{field}: {problem}")]
    Validation {
        field: &'static str,
        problem: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    /// The object store holding the blobs failed (SPEC §14): 503 with `Retry-After`.
    #[error("the file store is unavailable, try again shortly")]
    Unavailable(String),
}

impl crate::db::MaybeBusy for DriveError {
    fn is_busy(&self) -> bool {
        matches!(self, DriveError::Db(DbError::Busy))
    }
}

impl DriveError {
    /// The SPEC's error code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidName(_) => "invalid_name",
            Self::NameConflict => "name_conflict",
            Self::InvalidMove => "invalid_move",
            Self::QuotaExceeded => "quota_exceeded",
            Self::StorageFull => "storage_full",
            Self::TooLarge(_) => "too_large",
            Self::BodyInterrupted(_) => "bad_request",
            Self::Validation { .. } => "validation_failed",
            Self::Db(_) | Self::Io(_) => "internal",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

impl From<StoreError> for DriveError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Full => DriveError::StorageFull,
            StoreError::LimitExceeded { limit } => DriveError::TooLarge(limit),
            StoreError::Interrupted(io) => DriveError::BodyInterrupted(io.to_string()),
            StoreError::Io(io) => DriveError::Io(io),
            StoreError::Unavailable(why) => DriveError::Unavailable(why),
        }
    }
}

pub type DriveResult<T> = Result<T, DriveError>;

/// An entry with its path, as the API shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub record: EntryRecord,
    pub path: String,
}

pub struct Drive {
    pub(crate) db: Db,
    pub(crate) store: Arc<BlobStore>,
    /// Per-upload byte limit (`limits.max_upload_bytes`; None: unlimited).
    pub(crate) max_upload: Option<u64>,
    pub(crate) trash_days: u32,
    /// Retention of earlier contents (`[versions]`).
    pub(crate) versions_config: VersionsConfig,
    pub(crate) records: records::RecordCache,
    pub(crate) listings: listings::ListingCache,
}

impl Drive {
    /// The drive's caches (entry records, folder listings) register with `caches`.
    pub fn new(
        db: Db,
        store: Arc<BlobStore>,
        max_upload: Option<u64>,
        trash_days: u32,
        caches: &CacheRegistry,
    ) -> Self {
        let drive = Self {
            db,
            store,
            max_upload,
            trash_days,
            versions_config: VersionsConfig::default(),
            records: records::RecordCache::new(caches),
            listings: listings::ListingCache::new(caches),
        };
        caches.register(OpenDescriptors(drive.store.open_files().clone()));
        drive
    }

    /// The same drive keeping earlier contents as `config` says (default: 10 per file for
    /// 90 days).
    pub fn with_versions(mut self, config: VersionsConfig) -> Self {
        self.versions_config = config;
        self
    }

    pub fn store(&self) -> &BlobStore {
        &self.store
    }

    /// Where a file's bytes are (a folder or an empty file names no real blob: then an
    /// empty path, which nothing reads, as the size is 0).
    pub async fn blob_source(&self, entry: &EntryRecord) -> DriveResult<BlobAt> {
        let Some(sha256) = &entry.sha256 else {
            return Ok(BlobAt::File(Default::default()));
        };
        let key = self.object_key(sha256).await?;
        Ok(self.store.open_source(sha256, key)?)
    }

    /// The object holding a blob, when blobs may live in an object store (its row says).
    pub(crate) async fn object_key(&self, sha256: &BlobId) -> DriveResult<Option<String>> {
        if !self.store.has_objects() {
            return Ok(None);
        }
        let sha256 = sha256.clone();
        Ok(self
            .db
            .read_now(move |conn| db::objects::key_of(conn, &sha256))
            .await?)
    }

    /// Deletes the files of blobs that lost their last reference. Runs after the commit
    /// that released them, under their stripe locks, and re-checks the database: an upload
    /// of the same content may have claimed the hash again in between.
    pub async fn reap(&self, hashes: Vec<BlobId>) {
        if hashes.is_empty() {
            return;
        }
        self.reap_objects().await;
        let _guard = self.store.lock(&hashes).await;
        for hash in hashes {
            let key = hash.clone();
            match self.db.run(move |conn| db::blobs::exists(conn, &key)).await {
                Ok(false) => {
                    if let Err(error) = self.store.remove(&hash) {
                        tracing::warn!(%hash, %error, "could not delete an unreferenced blob; `hoard check --repair` reclaims it");
                    }
                    let _ = self.store.remove_thumbnails(&hash);
                }
                Ok(true) => {}
                Err(error) => tracing::warn!(%hash, %error, "could not check a released blob"),
            }
        }
    }

    /// Inside a transaction deleting a user: deletes their versions and entries, releases
    /// every blob those used and returns the blobs now unreferenced (reap them after
    /// commit). The rows go first: a blob row cannot be deleted while a row refers to it.
    pub fn release_owner(
        conn: &rusqlite::Connection,
        owner: UserId,
    ) -> Result<Vec<BlobId>, DbError> {
        let (mut hashes, _) = db::versions::delete_owner(conn, owner.0)?;
        hashes.extend(db::entries::owner_hashes(conn, owner.0)?);
        db::entries::delete_owner(conn, owner.0)?;
        release_all(conn, hashes)
    }
}

/// Releases one reference per hash; returns the hashes whose blob is now unreferenced.
pub(crate) fn release_all(
    conn: &rusqlite::Connection,
    hashes: Vec<BlobId>,
) -> Result<Vec<BlobId>, DbError> {
    let mut freed = Vec::new();
    for hash in hashes {
        if db::blobs::release(conn, &hash)? {
            freed.push(hash);
        }
    }
    Ok(freed)
}

/// The entry's path: its parent's path (computed once by the caller) plus its name.
pub(crate) fn join_path(parent_path: &str, name: &str) -> String {
    if parent_path == "/" {
        format!("/{name}")
    } else {
        format!("{parent_path}/{name}")
    }
}

/// The store's open blob descriptors, as the cache registry sees them (`open_files`).
struct OpenDescriptors(Arc<crate::store::open_files::OpenFiles>);

impl crate::service::cache::Flushable for OpenDescriptors {
    fn name(&self) -> &'static str {
        "open_files"
    }

    fn entries(&self) -> u64 {
        self.0.entries()
    }

    fn hits(&self) -> u64 {
        self.0.hits()
    }

    fn misses(&self) -> u64 {
        self.0.misses()
    }

    fn flush(&self) {
        self.0.flush();
    }
}
