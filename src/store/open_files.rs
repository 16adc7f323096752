//! Open blob descriptors reused across requests, like nginx's `open_file_cache`: a hot
//! file is served without an `openat`, an `fstat` and a `close` per request.
//!
//! Blobs are content-addressed and never written after they are placed, so a cached
//! descriptor always reads the right bytes. Bounds: at most [`CAPACITY`] descriptors, each
//! dropped [`VALID`] after it was opened (a blob removed by another process, such as
//! `hoard check --repair`, frees its space at the latest then); a blob this process
//! removes is dropped at once ([`OpenFiles::forget`]). A response that is still sending
//! keeps its descriptor alive on its own.
//!
//! A map under one mutex, not a moka cache like the others: the lookup is a hash and a
//! clock read, the map is small, and a moka cache of its own types cost 0.2 MiB of binary
//! (SPEC §15's 25 MiB, measured 2026-12-07).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::BlobStore;
use crate::blob::{BlobAt, OpenBlob};
use crate::ids::BlobId;

/// Descriptors held at most (well under the 1,024 of a default `ulimit -n`).
pub const CAPACITY: u64 = 256;
/// How long a descriptor is reused after it was opened.
pub const VALID: Duration = Duration::from_secs(60);

/// The cache, with its lookup counters for the cache registry.
#[derive(Default)]
pub struct OpenFiles {
    files: Mutex<HashMap<BlobId, (Arc<OpenBlob>, Instant)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl OpenFiles {
    /// The open blob `sha256`, from the cache or opened now at `path`.
    pub fn open(&self, sha256: &BlobId, path: &Path) -> io::Result<Arc<OpenBlob>> {
        let now = Instant::now();
        let cached = self
            .lock()
            .get(sha256)
            .and_then(|(blob, opened)| (now.duration_since(*opened) < VALID).then(|| blob.clone()));
        if let Some(blob) = cached {
            self.hits.fetch_add(1, Relaxed);
            return Ok(blob);
        }
        self.misses.fetch_add(1, Relaxed);
        let blob = Arc::new(OpenBlob::open(path)?);
        self.keep(sha256, &blob, now);
        Ok(blob)
    }

    /// Caches `blob`, first making room: expired descriptors go, then the oldest.
    fn keep(&self, sha256: &BlobId, blob: &Arc<OpenBlob>, now: Instant) {
        let mut files = self.lock();
        if files.len() >= CAPACITY as usize {
            files.retain(|_, (_, opened)| now.duration_since(*opened) < VALID);
        }
        if files.len() >= CAPACITY as usize {
            let oldest = files.iter().min_by_key(|(_, (_, opened))| *opened);
            if let Some(oldest) = oldest.map(|(id, _)| id.clone()) {
                files.remove(&oldest);
            }
        }
        files.insert(sha256.clone(), (blob.clone(), now));
    }

    /// Drops the descriptor of a blob that is being removed.
    pub fn forget(&self, sha256: &BlobId) {
        self.lock().remove(sha256);
    }

    pub fn entries(&self) -> u64 {
        self.lock().len() as u64
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Relaxed)
    }

    pub fn flush(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<BlobId, (Arc<OpenBlob>, Instant)>> {
        // Every change is one map operation: a panic cannot leave the map half-changed.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BlobStore {
    /// Where a blob is, for serving its bytes: a local blob opened (or reused) now. A
    /// local blob that cannot be opened comes back as its path, so the responder reports
    /// the failure as it does for any unreadable blob.
    pub fn open_source(
        &self,
        sha256: &BlobId,
        key: Option<String>,
    ) -> Result<BlobAt, super::StoreError> {
        if key.is_some() {
            return self.source(sha256, key);
        }
        let path = self.path(sha256);
        Ok(match self.open_files.open(sha256, &path) {
            Ok(blob) => BlobAt::Open(blob),
            Err(_) => BlobAt::File(path),
        })
    }

    /// The open-file cache (for the cache registry).
    pub fn open_files(&self) -> &Arc<OpenFiles> {
        &self.open_files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    #[test]
    fn a_blob_is_opened_once_and_forgotten_when_removed() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("blob");
        std::fs::write(&path, b"content")?;
        let id = BlobId::parse(&"ab".repeat(32)).ok_or_else(|| io::Error::other("id"))?;
        let files = OpenFiles::default();
        let first = files.open(&id, &path)?;
        let again = files.open(&id, &path)?;
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!((first.len, files.hits(), files.misses()), (7, 1, 1));
        files.forget(&id);
        std::fs::remove_file(&path)?;
        assert_eq!(
            files.open(&id, &path).map(|_| ()).map_err(|e| e.kind()),
            Err(io::ErrorKind::NotFound)
        );
        assert_eq!(files.misses(), 2);
        Ok(())
    }

    #[test]
    fn the_cache_holds_at_most_its_capacity() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("blob");
        std::fs::write(&path, b"content")?;
        let files = OpenFiles::default();
        for n in 0..CAPACITY + 10 {
            let id = BlobId::from_digest(&sha2::Sha256::digest(n.to_le_bytes()).into());
            files.open(&id, &path)?;
        }
        assert_eq!(files.entries(), CAPACITY);
        Ok(())
    }
}
