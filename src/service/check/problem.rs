//! What `hoard check` can find, and how each finding reads.

use crate::ids::UserId;
use crate::store::BlobId;

/// One disagreement between the database and the blob stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A blob row whose file is gone: its files cannot be read (not repairable).
    MissingBlob { sha256: BlobId },
    /// A blob file of the wrong size or content (repair: move it to `quarantine/`).
    CorruptBlob { sha256: BlobId, detail: String },
    /// A blob row whose damaged file was moved to `quarantine/` (not repairable: its files
    /// must be deleted or uploaded again).
    QuarantinedBlob { sha256: BlobId },
    /// A blob file no row refers to, older than the grace period (repair: delete it).
    /// Younger ones may be uploads about to commit, or what a crash left between placing a
    /// blob and committing its row: no problem yet.
    OrphanBlob { sha256: BlobId },
    /// A blob row whose object is not in the bucket (not repairable).
    MissingObject { sha256: BlobId, key: String },
    /// A blob row whose object has the wrong size, or (`--deep`) the wrong content. Not
    /// repairable: the object is the only copy the row names, and is left as it is.
    CorruptObject {
        sha256: BlobId,
        key: String,
        detail: String,
    },
    /// An object under `objects/` that no row and no intent names, older than the grace
    /// period (repair: delete it).
    OrphanObject { key: String },
    /// The object of a deleted blob, named for deletion by the releasing transaction but
    /// not deleted yet (repair: delete it, then forget the intent).
    ReleasedObject { key: String },
    /// An upload intent older than the grace period: an upload that never committed, whose
    /// object may or may not exist (repair: delete it, then forget the intent).
    AbandonedUpload { key: String },
    /// A blob row whose reference count is wrong (repair: set it).
    WrongRefs {
        sha256: BlobId,
        recorded: i64,
        actual: i64,
    },
    /// A user whose `storage_used` is wrong (repair: set it).
    WrongUsage {
        user_id: UserId,
        recorded: i64,
        actual: i64,
    },
    /// Temp files older than the grace period: interrupted uploads (repair: delete them).
    /// Younger ones may be uploads in flight and are no problem.
    TempDebris { count: usize },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::MissingBlob { sha256 } => write!(
                f,
                "missing blob {sha256}: rows refer to it but the file is gone"
            ),
            Problem::CorruptBlob { sha256, detail } => write!(f, "corrupt blob {sha256}: {detail}"),
            Problem::QuarantinedBlob { sha256 } => write!(
                f,
                "quarantined blob {sha256}: its damaged file is in quarantine/; the files \
                 that use it fail until deleted or uploaded again"
            ),
            Problem::OrphanBlob { sha256 } => {
                write!(f, "orphan blob {sha256}: no row refers to it")
            }
            Problem::MissingObject { sha256, key } => write!(
                f,
                "missing blob {sha256}: rows refer to it but its object {key} is gone"
            ),
            Problem::CorruptObject {
                sha256,
                key,
                detail,
            } => write!(f, "corrupt blob {sha256}: object {key}: {detail}"),
            Problem::OrphanObject { key } => {
                write!(f, "orphan object {key}: no row refers to it")
            }
            Problem::ReleasedObject { key } => write!(
                f,
                "released object {key}: its blob was deleted, the object not yet"
            ),
            Problem::AbandonedUpload { key } => {
                write!(f, "abandoned upload {key}: its upload never committed")
            }
            Problem::WrongRefs {
                sha256,
                recorded,
                actual,
            } => {
                write!(
                    f,
                    "blob {sha256} records {recorded} references, has {actual}"
                )
            }
            Problem::WrongUsage {
                user_id,
                recorded,
                actual,
            } => {
                write!(
                    f,
                    "user {user_id} records {recorded} bytes used, has {actual}"
                )
            }
            Problem::TempDebris { count } => {
                write!(f, "{count} temp file(s) of interrupted uploads")
            }
        }
    }
}
