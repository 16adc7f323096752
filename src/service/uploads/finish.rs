//! The last step of a resumable upload: its file becomes a drive entry through the same
//! commit as every other upload, and the upload row says `completed` in that transaction.

use sha2::Digest;

use super::{blocking, partial, CursorGuard, UploadError, UploadResult, Uploads};
use crate::db::now;
use crate::db::uploads::{self as rows, UploadRecord};
use crate::ids::{EntryId, UserId};
use crate::service::drive::names::FileName;
use crate::service::drive::upload::{OnConflict, PendingFile};
use crate::service::drive::versions::Source;
use crate::service::drive::DriveError;
use crate::store::BlobId;

impl Uploads {
    /// Commits a fully received upload. Errors that retrying cannot fix (the name is taken,
    /// the folder is gone, the quota is full) fail the upload and free its bytes; others
    /// (a busy database, a full disk) leave it complete-but-uncommitted, and the next HEAD
    /// or PATCH tries again.
    pub(super) async fn finish(
        &self,
        owner: UserId,
        id: i64,
        mut guard: CursorGuard,
    ) -> UploadResult<UploadRecord> {
        let record = self.record(owner, id).await?;
        if !record.status.is_open() {
            return Ok(record);
        }
        let file = self.pending_file(&record, guard.hashed.take()).await?;
        let committed = self
            .drive
            .commit_upload_then(
                owner,
                record.parent_id.map(EntryId),
                vec![file],
                OnConflict::parse(&record.on_conflict).unwrap_or_default(),
                move |tx, entries| {
                    let entry = entries.first().ok_or(DriveError::NotFound)?;
                    rows::complete(tx, id, entry.record.id, now())?;
                    Ok(())
                },
            )
            .await;
        match committed {
            Ok(_) => {
                self.discard(id).await;
                self.record(owner, id).await
            }
            Err(error) if is_final(&error) => {
                let code = error.code();
                self.db
                    .write(move |tx| rows::fail(tx, id, code, now()))
                    .await?;
                self.discard(id).await;
                Err(UploadError::Drive(error))
            }
            Err(error) => Err(UploadError::Drive(error)),
        }
    }
}

impl Uploads {
    /// The received bytes as a staged file: hashed (the running hash when it covers the
    /// whole upload, else the file re-read), typed from its first bytes, and hard-linked
    /// into the store's staging so the commit places it like any other upload.
    async fn pending_file(
        &self,
        record: &UploadRecord,
        hashed: Option<(u64, sha2::Sha256)>,
    ) -> UploadResult<PendingFile> {
        let size = record.size as u64;
        let hashed = hashed.filter(|(n, _)| *n == size).map(|(_, hasher)| hasher);
        let path = self.path(record.id);
        let (sha256, head) = blocking(move || {
            let sha256 = match hashed {
                Some(hasher) => BlobId::from_digest(&hasher.finalize().into()),
                None => {
                    let (sha256, len) = crate::store::hash_file(&path)?;
                    if len != size {
                        return Err(std::io::Error::other("upload file has the wrong length"));
                    }
                    sha256
                }
            };
            Ok((sha256, partial::head(&path)?))
        })
        .await?;
        let name = FileName::parse(&record.name)?;
        let mime_type = crate::service::media::identify(name.as_str(), &head).mime_type;
        let blob = self
            .drive
            .stage_file(&self.path(record.id), sha256, size, head)
            .await?;
        Ok(PendingFile {
            name,
            blob,
            mime_type,
            modified_at: record.modified_at,
            source: Source::Resumable,
        })
    }
}

/// Whether a commit error would recur on every retry.
fn is_final(error: &DriveError) -> bool {
    matches!(
        error,
        DriveError::NotFound
            | DriveError::NameConflict
            | DriveError::QuotaExceeded
            | DriveError::TooLarge(_)
            | DriveError::InvalidName(_)
            | DriveError::Validation { .. }
    )
}
