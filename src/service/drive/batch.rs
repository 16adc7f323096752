//! The two upload forms of the API as single service operations: a multipart batch (many
//! files staged one after another, held to the quota as a whole, committed all or none)
//! and a raw stream to a path (`PUT /files/by-path`). Readers are borrowed, so a caller
//! can still drain what a refused upload left unread.

use tokio::io::AsyncRead;

use super::names::FileName;
use super::upload::{OnConflict, Outcome, PendingFile};
use super::versions::Source;
use super::{check_mtime, Drive, DriveError, DriveResult, Entry};
use crate::ids::{EntryId, UserId};

/// Files of one multipart upload, staged as their parts arrive.
pub struct UploadBatch<'a> {
    drive: &'a Drive,
    owner: UserId,
    parent: Option<EntryId>,
    policy: OnConflict,
    files: Vec<PendingFile>,
    /// Bytes staged so far beyond what replaced files credit back.
    charged: u64,
}

impl Drive {
    /// A new batch into `parent` (None: the root) under `policy`.
    pub fn batch(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        policy: OnConflict,
    ) -> UploadBatch<'_> {
        UploadBatch {
            drive: self,
            owner,
            parent,
            policy,
            files: Vec::new(),
            charged: 0,
        }
    }

    /// Streams `reader` to the file at `path` (creating missing folders, replacing an
    /// existing file), failing before any byte is read when a `declared` length cannot fit
    /// or `mtime` is out of range. The replaced content becomes a version. The file's
    /// `modified_at` becomes `mtime`, or the commit's time when it is `None`; `source` is
    /// the door it came through.
    pub async fn put_stream<R: AsyncRead + Unpin>(
        &self,
        owner: UserId,
        path: Vec<FileName>,
        declared: Option<u64>,
        (mtime, source): (Option<i64>, Source),
        reader: &mut R,
    ) -> DriveResult<(Entry, Outcome)> {
        let last = path
            .last()
            .cloned()
            .ok_or_else(|| DriveError::InvalidName("empty path".into()))?;
        let modified_at = mtime.map(check_mtime).transpose()?;
        let credit = self.replaceable(owner, None, path.clone()).await?;
        if let Some(length) = declared {
            self.precheck(owner, length, credit).await?;
        }
        let mut file = self.stage(owner, last, reader, 0, credit).await?;
        file.modified_at = modified_at;
        file.source = source;
        self.put_by_path(owner, path, file).await
    }
}

impl UploadBatch<'_> {
    /// Later files go to this folder (a `parent_id` part of the form).
    pub fn set_parent(&mut self, parent: Option<EntryId>) {
        self.parent = parent;
    }

    /// Stages one file; the batch as a whole is held to the quota while it streams.
    pub async fn add<R: AsyncRead + Unpin>(
        &mut self,
        name: FileName,
        reader: R,
    ) -> DriveResult<()> {
        let credit = match self.policy {
            OnConflict::Overwrite => {
                self.drive
                    .replaceable(self.owner, self.parent, vec![name.clone()])
                    .await?
            }
            OnConflict::Rename | OnConflict::Fail => 0,
        };
        let file = self
            .drive
            .stage(self.owner, name, reader, self.charged, credit)
            .await?;
        self.charged += file.blob.size.saturating_sub(credit);
        self.files.push(file);
        Ok(())
    }

    /// Gives up the staged files: their temp files go with them, their objects (an object
    /// store) are deleted now rather than by the sweeper.
    pub async fn abandon(self) {
        let objects: Vec<String> = self
            .files
            .iter()
            .filter_map(|file| file.blob.object.clone())
            .collect();
        drop(self.files);
        self.drive.settle_unheld(objects).await;
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Commits every staged file (all or none); the commit re-checks the quota exactly.
    pub async fn commit(self) -> DriveResult<Vec<Entry>> {
        self.drive
            .commit_upload(self.owner, self.parent, self.files, self.policy)
            .await
    }
}
