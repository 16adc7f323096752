//! Objects of the object store (SPEC §14) as the drive's commits see them. Every object is
//! written under a fresh key whose intent is committed before its first byte is sent; the
//! commit that makes it a blob settles the intent. Whatever else happens — a failed upload,
//! a refused commit, a duplicate of stored content, a released blob — the object is deleted
//! and its intent settled, or, when the store cannot be reached, left for the sweeper.

use tokio::io::AsyncRead;

use std::path::Path;

use super::{Drive, DriveError, DriveResult};
use crate::db::{self, now};
use crate::store::{BlobId, StagedBlob, StoreError};

/// Released objects deleted per round.
const REAP_BATCH: i64 = 500;

impl Drive {
    /// Streams `reader` into the store while hashing: to a new object (its intent recorded
    /// first) when blobs go to an object store, else into `tmp/`. A failure leaves nothing.
    pub(crate) async fn stage_bytes<R: AsyncRead + Unpin>(
        &self,
        reader: R,
        limit: Option<u64>,
    ) -> DriveResult<Result<StagedBlob, StoreError>> {
        let object = self.begin_object().await?;
        let staged = self.store.stage_to(object.as_deref(), reader, limit).await;
        if staged.is_err() {
            self.settle_unheld(object).await;
        }
        Ok(staged)
    }

    /// Stages a complete, fsync'd file whose hash is known (a finished resumable upload):
    /// hard-linked into `tmp/` for the local store, without a copy; streamed to a new
    /// object for an object store, and checked to hash the same on the way.
    pub async fn stage_file(
        &self,
        path: &Path,
        sha256: BlobId,
        size: u64,
        head: Vec<u8>,
    ) -> DriveResult<StagedBlob> {
        if !self.store.has_objects() {
            return Ok(self.store.link_in(path, sha256, size, head)?);
        }
        let file = tokio::fs::File::open(path).await?;
        let staged = self.stage_bytes(file, None).await??;
        if staged.sha256 != sha256 || staged.size != size {
            self.settle_unheld(staged.object.clone()).await;
            let changed = "the upload's file changed while it was sent to the object store";
            return Err(DriveError::Io(std::io::Error::other(changed)));
        }
        Ok(staged)
    }

    /// A fresh object key with its intent committed; None for the local store.
    async fn begin_object(&self) -> DriveResult<Option<String>> {
        let Some(key) = self.store.next_object() else {
            return Ok(None);
        };
        let recorded = key.clone();
        self.db
            .write(move |tx| db::objects::intend(tx, &recorded, now()))
            .await?;
        Ok(Some(key))
    }

    /// After a commit (or instead of one): deletes each of `keys` that did not become a
    /// blob — a duplicate of stored content, or one whose commit failed — and settles its
    /// intent. An object the store cannot delete now stays recorded for the sweeper.
    pub(crate) async fn settle_unheld(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            let probe = key.clone();
            match self
                .db
                .run(move |conn| db::objects::pending(conn, &probe))
                .await
            {
                Ok(true) => self.delete_object(key).await,
                Ok(false) => {}
                Err(error) => tracing::warn!(%key, %error, "could not check an object's intent"),
            }
        }
    }

    /// Deletes the objects of blobs released by committed changes (the trigger on `blobs`
    /// names them). Cheap when there are none.
    pub(crate) async fn reap_objects(&self) {
        if !self.store.has_objects() {
            return;
        }
        match self
            .db
            .run(move |conn| db::objects::released(conn, REAP_BATCH))
            .await
        {
            Ok(keys) => {
                for key in keys {
                    self.delete_object(key).await;
                }
            }
            Err(error) => tracing::warn!(%error, "could not list released objects"),
        }
    }

    /// Deletes the objects of uploads that died (intents older than `grace_s` seconds) and
    /// of released blobs, and aborts multipart uploads older than that which never
    /// completed (a killed process's, or one whose abort found the store down); returns how
    /// many objects and uploads it cleared. Runs with the upload sweeper.
    pub async fn sweep_objects(&self, grace_s: u64) -> DriveResult<usize> {
        if !self.store.has_objects() {
            return Ok(0);
        }
        let before = now().saturating_sub(grace_s as i64);
        let keys = self
            .db
            .run(move |conn| db::objects::stale(conn, before))
            .await?;
        let count = keys.len();
        for key in keys {
            self.delete_object(key).await;
        }
        Ok(count + self.store.abort_unfinished(before).await?)
    }

    async fn delete_object(&self, key: String) {
        if let Err(error) = self.store.remove_object(&key).await {
            tracing::warn!(%key, %error, "could not delete an unreferenced object; the sweeper retries");
            return;
        }
        let settled = self.db.write(move |tx| db::objects::settle(tx, &key)).await;
        if let Err(error) = settled {
            tracing::warn!(%error, "could not settle a deleted object's intent");
        }
    }
}
