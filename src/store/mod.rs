//! The content-addressed blob store: `blobs/ab/cd/<sha256>`. Blob paths derive from
//! hashes only, so no user-chosen name ever becomes a disk path.
//!
//! Writing is two steps. `stage` streams bytes into `tmp/` while hashing and fsyncs them;
//! `place` renames the staged file into its final path and fsyncs the directory. The
//! caller commits its database rows in between `place` and releasing the hash's stripe
//! lock, and deletes (`remove`) only under that same lock after checking the database, so
//! an upload and a delete of the same content can never interleave. Staging streams through
//! [`pump`] into a direct-I/O file ([`direct`]). [`s3`] is the client of the S3-compatible
//! backend (SPEC §14) this store will also write to; it is not wired in yet.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::io::AsyncRead;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use crate::blob::{BlobAt, Chunks, RangeRead};
pub use crate::ids::BlobId;

pub mod data_dir;
pub mod direct;
mod objects;
pub mod open_files;
mod pump;
pub mod s3;
pub mod thumbs;

pub use pump::{pump, Digests, Pumped, Sink};

pub use direct::DirectFile;

const STRIPES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("upload passes its limit of {limit} bytes")]
    LimitExceeded { limit: u64 },
    #[error("no space left on the data filesystem")]
    Full,
    /// Reading the request body failed: the client went away or broke the framing.
    #[error("the request body broke off: {0}")]
    Interrupted(io::Error),
    #[error("blob store: {0}")]
    Io(io::Error),
    /// The object store did not answer, or refused (SPEC §14: 503 `unavailable`).
    #[error("object store: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// An object-store failure in the store's terms; `limit` is the upload's byte limit.
    fn from_s3(error: s3::S3Error, limit: Option<u64>) -> Self {
        match error {
            s3::S3Error::Source(io) if io.kind() == io::ErrorKind::FileTooLarge => {
                StoreError::LimitExceeded {
                    limit: limit.unwrap_or_default(),
                }
            }
            s3::S3Error::Source(io) => StoreError::Interrupted(io),
            other => StoreError::Unavailable(other.to_string()),
        }
    }
}

impl From<io::Error> for StoreError {
    fn from(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::StorageFull || error.raw_os_error() == Some(28) {
            StoreError::Full
        } else {
            StoreError::Io(error)
        }
    }
}

/// Bytes written to `tmp/`, hashed and fsync'd, not yet in the store. Dropping it removes
/// the temp file unless it was placed.
#[derive(Debug)]
pub struct StagedBlob {
    pub sha256: BlobId,
    pub size: u64,
    /// The first bytes (up to 8 KiB), for sniffing the type.
    pub head: Vec<u8>,
    temp: Option<PathBuf>,
    /// The object it was written to, for the object-store backend (None: a temp file).
    pub object: Option<String>,
}

impl Drop for StagedBlob {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

pub struct BlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
    thumbs: PathBuf,
    stripes: Vec<Arc<Mutex<()>>>,
    /// The object store holding the blobs (`storage.backend = "s3"`); None: `blobs/`.
    objects: Option<Arc<s3::S3Blobs>>,
    /// Descriptors of local blobs reused across requests.
    open_files: Arc<open_files::OpenFiles>,
}

/// Held while a set of hashes is being placed-and-committed or checked-and-removed.
pub struct StripeGuard {
    _guards: Vec<OwnedMutexGuard<()>>,
}

impl BlobStore {
    pub fn new(blobs: PathBuf, tmp: PathBuf, thumbs: PathBuf) -> Self {
        let stripes = (0..STRIPES).map(|_| Arc::new(Mutex::new(()))).collect();
        Self {
            blobs,
            tmp,
            thumbs,
            stripes,
            objects: None,
            open_files: Default::default(),
        }
    }

    /// The same store keeping blobs in `objects` instead of `blobs/`.
    pub fn with_objects(mut self, objects: Arc<s3::S3Blobs>) -> Self {
        self.objects = Some(objects);
        self
    }

    /// The object store, when blobs live there.
    pub fn objects(&self) -> Option<&Arc<s3::S3Blobs>> {
        self.objects.as_ref()
    }

    /// Removes every cached thumbnail of a blob.
    pub fn remove_thumbnails(&self, sha256: &BlobId) -> io::Result<()> {
        thumbs::remove_thumbnails(&self.thumbs, sha256)
    }

    /// Bytes free for blobs on their file system.
    pub fn free_bytes(&self) -> io::Result<u64> {
        data_dir::free_bytes(&self.blobs)
    }

    /// Where a blob lives.
    pub fn path(&self, sha256: &BlobId) -> PathBuf {
        let id = sha256.as_str();
        self.blobs.join(&id[0..2]).join(&id[2..4]).join(id)
    }

    /// Streams `reader` into a temp file while hashing; fails as soon as more than `limit`
    /// bytes arrive. Memory use is one 1 MiB buffer whatever the size.
    pub async fn stage<R: AsyncRead + Unpin>(
        &self,
        mut reader: R,
        limit: Option<u64>,
    ) -> Result<StagedBlob, StoreError> {
        let temp = self
            .tmp
            .join(format!("{}.part", crate::secret::random_secret(16)));
        let file = DirectFile::create(&temp)?;
        let mut staged = StagedBlob {
            sha256: BlobId::from_digest(&[0; 32]),
            size: 0,
            head: Vec::new(),
            temp: Some(temp),
            object: None,
        };
        let pumped = pump(&mut reader, Sink::new(file, Sha256::new()), limit).await?;
        if let Some(error) = pumped.error {
            return Err(error);
        }
        let Sink { file, digests } = pumped.sink;
        tokio::task::spawn_blocking(move || file.finish())
            .await
            .map_err(io::Error::other)??;
        staged.sha256 = BlobId::from_digest(&digests.finalize().into());
        staged.size = pumped.bytes;
        staged.head = pumped.head;
        Ok(staged)
    }

    /// Stages a complete, fsync'd file (a finished resumable upload) by hard-linking it into
    /// `tmp/`: placing the link moves the bytes into the store without a copy, and a commit
    /// that fails leaves the original where it was, ready for a retry.
    pub fn link_in(
        &self,
        source: &Path,
        sha256: BlobId,
        size: u64,
        head: Vec<u8>,
    ) -> Result<StagedBlob, StoreError> {
        let temp = self
            .tmp
            .join(format!("{}.part", crate::secret::random_secret(16)));
        fs::hard_link(source, &temp)?;
        Ok(StagedBlob {
            sha256,
            size,
            head,
            temp: Some(temp),
            object: None,
        })
    }

    /// Locks the stripes of these hashes (in a fixed order, so two callers cannot deadlock).
    pub async fn lock<'a>(&self, hashes: impl IntoIterator<Item = &'a BlobId>) -> StripeGuard {
        let mut indices: Vec<usize> = hashes.into_iter().map(stripe_of).collect();
        indices.sort_unstable();
        indices.dedup();
        let mut guards = Vec::with_capacity(indices.len());
        for index in indices {
            guards.push(self.stripes[index].clone().lock_owned().await);
        }
        StripeGuard { _guards: guards }
    }

    /// Moves a staged blob into place (hold its stripe). Returns whether the blob file is
    /// new; when identical content is already stored, the staged copy is dropped.
    pub fn place(&self, staged: &mut StagedBlob) -> Result<bool, StoreError> {
        let Some(temp) = staged.temp.take() else {
            return Ok(false);
        };
        let dest = self.path(&staged.sha256);
        if dest.is_file() {
            fs::remove_file(&temp)?;
            return Ok(false);
        }
        let dir = dest
            .parent()
            .ok_or_else(|| io::Error::other("blob path has no parent"))?;
        if !dir.is_dir() {
            fs::create_dir_all(dir)?;
            sync_dir(&self.blobs)?;
            if let Some(shard) = dir.parent() {
                sync_dir(shard)?;
            }
        }
        if let Err(error) = fs::rename(&temp, &dest) {
            let _ = fs::remove_file(&temp);
            return Err(error.into());
        }
        sync_dir(dir)?;
        Ok(true)
    }

    /// Deletes a blob file (hold its stripe, and check first that no row refers to it).
    pub fn remove(&self, sha256: &BlobId) -> io::Result<()> {
        self.open_files.forget(sha256);
        match fs::remove_file(self.path(sha256)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Removes leftovers of uploads that were in flight when the process stopped.
    pub fn clean_tmp(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.tmp)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(".part") {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Every blob file on disk, as (id, size) — for `hoard check`. Files whose name is not
    /// a blob id are not blobs and are left out (nothing of Hoard's writes them).
    pub fn list(&self) -> io::Result<Vec<(BlobId, u64)>> {
        let mut found = Vec::new();
        for shard in read_dirs(&self.blobs)? {
            for sub in read_dirs(&shard)? {
                for entry in fs::read_dir(&sub)? {
                    let entry = entry?;
                    if let Some(id) = BlobId::parse(&entry.file_name().to_string_lossy()) {
                        found.push((id, entry.metadata()?.len()));
                    }
                }
            }
        }
        Ok(found)
    }
}

fn read_dirs(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    Ok(dirs)
}

fn stripe_of(sha256: &BlobId) -> usize {
    usize::from_str_radix(&sha256.as_str()[0..2], 16).unwrap_or(0) % STRIPES
}

fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Hashes a whole file (for `hoard check`).
pub fn hash_file(path: &Path) -> io::Result<(BlobId, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut file, &mut hasher)?;
    Ok((BlobId::from_digest(&hasher.finalize().into()), size))
}

#[cfg(test)]
mod tests {
    use super::pump::CHUNK;
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn store() -> Result<(tempfile::TempDir, BlobStore), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        fs::create_dir_all(dir.path().join("blobs"))?;
        fs::create_dir_all(dir.path().join("tmp"))?;
        let store = BlobStore::new(
            dir.path().join("blobs"),
            dir.path().join("tmp"),
            dir.path().join("thumbs"),
        );
        Ok((dir, store))
    }

    #[tokio::test]
    async fn staging_hashes_and_placing_dedups() -> TestResult {
        let (dir, store) = store()?;
        let data = vec![7u8; 3 * CHUNK + 5];
        let mut first = store.stage(&data[..], None).await?;
        assert_eq!(first.size, data.len() as u64);
        assert_eq!(
            first.sha256,
            BlobId::from_digest(&Sha256::digest(&data).into())
        );
        assert!(store.place(&mut first)?, "new blob");
        let mut second = store.stage(&data[..], None).await?;
        assert!(!store.place(&mut second)?, "same content is stored once");
        assert_eq!(fs::read(store.path(&first.sha256))?, data);
        assert_eq!(
            fs::read_dir(dir.path().join("tmp"))?.count(),
            0,
            "no temp debris"
        );
        assert_eq!(
            store.list()?,
            vec![(first.sha256.clone(), data.len() as u64)]
        );
        Ok(())
    }

    #[tokio::test]
    async fn passing_the_limit_fails_and_leaves_nothing() -> TestResult {
        let (dir, store) = store()?;
        let data = vec![1u8; 2 * CHUNK];
        let result = store.stage(&data[..], Some(CHUNK as u64)).await;
        assert!(matches!(result, Err(StoreError::LimitExceeded { .. })));
        assert_eq!(fs::read_dir(dir.path().join("tmp"))?.count(), 0);
        assert!(
            store
                .stage(&data[..], Some(data.len() as u64))
                .await
                .is_ok(),
            "exactly the limit is fine"
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_unplaced_stage_is_cleaned_up_when_dropped() -> TestResult {
        let (dir, store) = store()?;
        drop(store.stage(&b"hello"[..], None).await?);
        assert_eq!(fs::read_dir(dir.path().join("tmp"))?.count(), 0);
        Ok(())
    }
}
