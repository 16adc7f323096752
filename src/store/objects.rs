//! The object-store side of [`BlobStore`] (SPEC §14): staging to an object under a
//! recorded key, where a blob is read from, deleting objects, aborting unfinished uploads,
//! and thumbnails of blobs that live in the bucket.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use tokio::io::AsyncRead;

use super::{s3, thumbs, BlobAt, BlobId, BlobStore, Chunks, RangeRead, StagedBlob, StoreError};
use crate::blob::StoreUnavailable;

/// One object of the object store, read by ranges.
struct ObjectRef {
    objects: Arc<s3::S3Blobs>,
    key: String,
}

impl RangeRead for ObjectRef {
    fn read(&self, range: std::ops::Range<u64>) -> BoxFuture<'static, io::Result<Chunks>> {
        let (objects, key) = (self.objects.clone(), self.key.clone());
        Box::pin(async move {
            if range.is_empty() {
                return Ok(futures_util::stream::empty().boxed());
            }
            objects
                .read(&key, range)
                .await
                .map_err(|error| match error {
                    s3::S3Error::NotFound => {
                        io::Error::new(io::ErrorKind::NotFound, "no such object")
                    }
                    other => StoreUnavailable::io(other.to_string()),
                })
        })
    }
}

impl BlobStore {
    /// A key for the next upload's object when new blobs go to an object store (the caller
    /// records its intent before staging to it); None when they go to `blobs/`.
    pub fn next_object(&self) -> Option<String> {
        self.objects.as_ref().map(|_| s3::S3Blobs::new_key())
    }

    /// Streams `reader` into the store while hashing, under `object` ([`Self::next_object`])
    /// or into `tmp/` ([`Self::stage`]).
    pub async fn stage_to<R: AsyncRead + Unpin>(
        &self,
        object: Option<&str>,
        reader: R,
        limit: Option<u64>,
    ) -> Result<StagedBlob, StoreError> {
        match object {
            Some(key) => self.stage_remote(key, reader, limit).await,
            None => self.stage(reader, limit).await,
        }
    }

    fn remote(&self) -> Result<&Arc<s3::S3Blobs>, StoreError> {
        self.objects
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("no object store is configured".into()))
    }

    /// Streams `reader` to a new object under `key` (whose intent the caller recorded)
    /// while hashing; returns once the store has all of it.
    async fn stage_remote<R: AsyncRead + Unpin>(
        &self,
        key: &str,
        reader: R,
        limit: Option<u64>,
    ) -> Result<StagedBlob, StoreError> {
        let written = self
            .remote()?
            .upload_as(key, reader, limit)
            .await
            .map_err(|error| StoreError::from_s3(error, limit))?;
        Ok(StagedBlob {
            sha256: written.sha256,
            size: written.size,
            head: written.head,
            temp: None,
            object: Some(written.key),
        })
    }

    /// Where a blob's bytes are read from: the object `key` its row names, else its file.
    pub fn source(&self, sha256: &BlobId, key: Option<String>) -> Result<BlobAt, StoreError> {
        match key {
            Some(key) => Ok(BlobAt::Remote(Arc::new(ObjectRef {
                objects: self.remote()?.clone(),
                key,
            }))),
            None => Ok(BlobAt::File(self.path(sha256))),
        }
    }

    /// Whether blobs may be in an object store (their rows then say which object).
    pub fn has_objects(&self) -> bool {
        self.objects.is_some()
    }

    /// Deletes objects no blob holds any more (released or duplicate); an object already
    /// gone is no error.
    pub async fn remove_object(&self, key: &str) -> Result<(), StoreError> {
        self.remote()?
            .remove(key)
            .await
            .map_err(|error| StoreError::from_s3(error, None))
    }

    /// Aborts the multipart uploads under `objects/` started before `before` (unix
    /// seconds) that never completed; returns how many.
    pub async fn abort_unfinished(&self, before: i64) -> Result<usize, StoreError> {
        let objects = self.remote()?;
        let unfinished = objects
            .unfinished()
            .await
            .map_err(|error| StoreError::from_s3(error, None))?;
        let mut aborted = 0;
        for upload in unfinished.iter().filter(|u| u.initiated < before) {
            objects
                .abort(upload)
                .await
                .map_err(|error| StoreError::from_s3(error, None))?;
            aborted += 1;
        }
        Ok(aborted)
    }

    /// The cached JPEG thumbnail of a blob, made on first use ([`thumbs::thumbnail`]) off
    /// the runtime. A blob in an object store (`key`) is fetched into `tmp/` for that once;
    /// the thumbnail itself is cached on local disk.
    pub async fn thumbnail(
        self: &Arc<Self>,
        sha256: &BlobId,
        key: Option<String>,
        size: u32,
    ) -> Result<PathBuf, thumbs::ThumbnailError> {
        let fetched = match key {
            Some(key) if !thumbs::is_cached(&self.thumbs, sha256, size) => {
                Some(self.fetch(&key).await.map_err(|error| match error {
                    StoreError::Unavailable(why) => thumbs::ThumbnailError::Unavailable(why),
                    other => io::Error::other(other.to_string()).into(),
                })?)
            }
            _ => None,
        };
        let source = match &fetched {
            Some(staged) => staged.temp.clone().unwrap_or_default(),
            None => self.path(sha256),
        };
        let (thumbs, sha256) = (self.thumbs.clone(), sha256.clone());
        let made =
            tokio::task::spawn_blocking(move || thumbs::thumbnail(&thumbs, &source, &sha256, size))
                .await
                .map_err(io::Error::other)?;
        drop(fetched);
        made
    }

    /// A whole object copied into `tmp/` (removed when the result is dropped).
    async fn fetch(&self, key: &str) -> Result<StagedBlob, StoreError> {
        let chunks = self
            .remote()?
            .read_all(key)
            .await
            .map_err(|error| StoreError::from_s3(error, None))?;
        self.stage(tokio_util::io::StreamReader::new(chunks), None)
            .await
    }
}
