//! Uploads: bytes are staged (hashed, fsync'd) first; then, under the hashes' stripe
//! locks, blobs are placed, and every row goes in with one transaction. Only after that
//! commit does the caller answer. Any failure leaves nothing visible behind.

use rusqlite::Connection;
use tokio::io::AsyncRead;

use super::names::FileName;
use super::namespace::{ensure_folder, folder_path, free_name, name_taken, require_folder, walk};
use super::versions::{self as kept, Source};
use super::{join_path, release_all, Drive, DriveError, DriveResult, Entry};
use crate::config::VersionsConfig;
use crate::db::entries::{self, FileContent};
use crate::db::{self, now};
use crate::ids::{EntryId, UserId};
use crate::store::{BlobId, StagedBlob, StoreError};

/// What to do when a name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnConflict {
    /// `name (1).ext`, `name (2).ext`, …
    #[default]
    Rename,
    /// Replace the existing file's content (same id).
    Overwrite,
    /// 409 `name_conflict`.
    Fail,
}

impl OnConflict {
    /// The policy's name in the API (`on_conflict=`) and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rename => "rename",
            Self::Overwrite => "overwrite",
            Self::Fail => "fail",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Rename, Self::Overwrite, Self::Fail]
            .into_iter()
            .find(|policy| policy.as_str() == name)
    }
}

/// One staged file waiting for its commit.
pub struct PendingFile {
    pub name: FileName,
    pub blob: StagedBlob,
    pub mime_type: String,
    /// The content's modification time (unix seconds, within [`MAX_MTIME`]) for the new or
    /// replaced entry's `modified_at`; `None`: the commit's time.
    ///
    /// [`MAX_MTIME`]: super::MAX_MTIME
    pub modified_at: Option<i64>,
    /// The door it came through (recorded with the content).
    pub source: Source,
}

/// Whether a committed upload made a new entry or replaced one (PUT answers 201 or 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Replaced,
}

impl Drive {
    /// Streams one file into staging. `already` is what this request staged before, so a
    /// multi-file upload is held to the quota as a whole while it streams; `credit` is the
    /// size of the file this one would replace ([`Drive::replaceable`]): the replaced
    /// content becomes a version, and versions are room an upload may reclaim. The commit
    /// re-checks the quota exactly.
    pub async fn stage<R: AsyncRead + Unpin>(
        &self,
        owner: UserId,
        name: FileName,
        reader: R,
        already: u64,
        credit: u64,
    ) -> DriveResult<PendingFile> {
        let (used, quota) = self
            .db
            .run(move |conn| kept::usage_for_upload(conn, owner))
            .await?;
        let room = quota.map(|q| {
            ((q - used).max(0) as u64)
                .saturating_add(credit)
                .saturating_sub(already)
        });
        // Whichever limit is tighter decides the error: 507 for the quota, 413 for the size.
        let quota_binds = room.is_some_and(|r| self.max_upload.is_none_or(|max| r <= max));
        let limit = if quota_binds { room } else { self.max_upload };
        let blob = self
            .stage_bytes(reader, limit)
            .await?
            .map_err(|error| match error {
                StoreError::LimitExceeded { .. } if quota_binds => DriveError::QuotaExceeded,
                other => other.into(),
            })?;
        let mime_type = crate::service::media::identify(name.as_str(), &blob.head).mime_type;
        Ok(PendingFile {
            name,
            blob,
            mime_type,
            modified_at: None,
            source: Source::Upload,
        })
    }

    /// Fails fast, before any byte is read, when a declared length cannot fit (`credit` as
    /// for [`Drive::stage`]).
    pub async fn precheck(&self, owner: UserId, declared: u64, credit: u64) -> DriveResult<()> {
        self.precheck_reserving(owner, declared, 0, credit).await
    }

    /// [`Drive::precheck`] counting `reserved` bytes already promised to unfinished
    /// resumable uploads as used.
    pub async fn precheck_reserving(
        &self,
        owner: UserId,
        declared: u64,
        reserved: u64,
        credit: u64,
    ) -> DriveResult<()> {
        if self.max_upload.is_some_and(|max| declared > max) {
            return Err(DriveError::TooLarge(self.max_upload.unwrap_or_default()));
        }
        let (used, quota) = self
            .db
            .run(move |conn| kept::usage_for_upload(conn, owner))
            .await?;
        let after = used
            .saturating_add(declared.saturating_add(reserved) as i64)
            .saturating_sub(credit as i64);
        if quota.is_some_and(|q| after > q) {
            return Err(DriveError::QuotaExceeded);
        }
        Ok(())
    }

    /// The size of the live file that an upload to `names` below `parent` would replace;
    /// 0 when there is none (or it is a folder, or the path leads nowhere).
    pub async fn replaceable(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        names: Vec<FileName>,
    ) -> DriveResult<u64> {
        self.db
            .run(move |conn| -> DriveResult<u64> {
                let found = walk(conn, owner, parent, &names)?;
                Ok(found
                    .filter(|entry| !entry.is_folder)
                    .map_or(0, |entry| entry.size.max(0) as u64))
            })
            .await
    }

    /// `NotFound` unless `parent` is one of `owner`'s live folders (None: the root).
    pub async fn folder_exists(&self, owner: UserId, parent: Option<EntryId>) -> DriveResult<()> {
        self.db
            .run(move |conn| require_folder(conn, owner, parent))
            .await
    }

    /// Whether something live already has this name in `parent`.
    pub async fn name_taken(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        names: Vec<FileName>,
    ) -> DriveResult<bool> {
        self.db
            .run(move |conn| Ok(walk(conn, owner, parent, &names)?.is_some()))
            .await
    }

    /// Commits staged files into `parent` (all or none).
    pub async fn commit_upload(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        files: Vec<PendingFile>,
        policy: OnConflict,
    ) -> DriveResult<Vec<Entry>> {
        self.commit_upload_then(owner, parent, files, policy, |_, _| Ok(()))
            .await
    }

    /// Like [`Drive::commit_upload`], with `then` running inside the same transaction on
    /// the new entries (a resumable upload records its completion there).
    pub async fn commit_upload_then<F>(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        files: Vec<PendingFile>,
        policy: OnConflict,
        then: F,
    ) -> DriveResult<Vec<Entry>>
    where
        F: FnOnce(&Connection, &[Entry]) -> DriveResult<()> + Send + 'static,
    {
        let retention = self.versions_config;
        let placed = self
            .commit_with(files, move |tx, files| {
                let parent_path = folder_path(tx, owner, parent)?;
                let place = Place {
                    owner,
                    parent,
                    parent_path: &parent_path,
                    retention,
                };
                let mut out = Vec::new();
                let mut freed = Vec::new();
                for file in files {
                    let (entry, released) = put_file(tx, &place, file, policy)?;
                    out.push(entry.0);
                    freed.extend(released);
                }
                then(tx, &out)?;
                Ok((out, freed))
            })
            .await?;
        Ok(placed)
    }

    /// `PUT /files/by-path`: creates missing folders, then creates or replaces the file.
    pub async fn put_by_path(
        &self,
        owner: UserId,
        path: Vec<FileName>,
        file: PendingFile,
    ) -> DriveResult<(Entry, Outcome)> {
        let retention = self.versions_config;
        let mut results = self
            .commit_with(vec![file], move |tx, files| {
                let (name, folders) = path
                    .split_last()
                    .ok_or(DriveError::InvalidName("empty path".into()))?;
                let mut parent = None;
                let mut parent_path = "/".to_owned();
                for folder in folders {
                    parent = Some(ensure_folder(tx, owner, parent, folder)?);
                    parent_path = join_path(&parent_path, folder.as_str());
                }
                let mut out = Vec::new();
                let place = Place {
                    owner,
                    parent,
                    parent_path: &parent_path,
                    retention,
                };
                let mut freed = Vec::new();
                for mut file in files {
                    file.name = name.clone();
                    let (entry, released) = put_file(tx, &place, file, OnConflict::Overwrite)?;
                    out.push(entry);
                    freed.extend(released);
                }
                Ok((out, freed))
            })
            .await?;
        results.pop().ok_or(DriveError::NotFound)
    }

    /// Places blobs, runs `work` in one transaction, reaps what it released; on failure
    /// removes blob files this call created that no row refers to.
    async fn commit_with<T, F>(&self, mut files: Vec<PendingFile>, work: F) -> DriveResult<Vec<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, Vec<FileMeta>) -> DriveResult<(Vec<T>, Vec<BlobId>)>
            + Send
            + 'static,
    {
        let hashes: Vec<BlobId> = files.iter().map(|f| f.blob.sha256.clone()).collect();
        let objects: Vec<String> = files.iter().filter_map(|f| f.blob.object.clone()).collect();
        let guard = self.store.lock(&hashes).await;
        let store = self.store.clone();
        let (files, created) = tokio::task::spawn_blocking(move || -> DriveResult<_> {
            let mut created = Vec::new();
            for file in &mut files {
                if store.place(&mut file.blob)? {
                    created.push(file.blob.sha256.clone());
                }
            }
            Ok((files, created))
        })
        .await
        .map_err(|e| DriveError::Io(std::io::Error::other(e)))??;
        let metas = files.into_iter().map(FileMeta::from).collect();
        let outcome = self.db.write(move |tx| work(tx, metas)).await;
        self.settle_unheld(objects).await;
        match outcome {
            Ok((items, freed)) => {
                drop(guard);
                self.reap(freed).await;
                Ok(items)
            }
            Err(error) => {
                for hash in created {
                    let key = hash.clone();
                    if let Ok(false) = self.db.run(move |conn| db::blobs::exists(conn, &key)).await
                    {
                        let _ = self.store.remove(&hash);
                    }
                }
                drop(guard);
                Err(error)
            }
        }
    }
}

/// A placed file's facts, as the transaction needs them.
pub struct FileMeta {
    name: FileName,
    sha256: BlobId,
    size: i64,
    mime_type: String,
    modified_at: Option<i64>,
    source: Source,
    /// The object the bytes were written to (an object store), else None.
    object: Option<String>,
}

impl From<PendingFile> for FileMeta {
    fn from(file: PendingFile) -> Self {
        Self {
            name: file.name,
            sha256: file.blob.sha256.clone(),
            size: file.blob.size as i64,
            mime_type: file.mime_type,
            modified_at: file.modified_at,
            source: file.source,
            object: file.blob.object.clone(),
        }
    }
}

/// Where [`put_file`] puts a file, and the versions rule it follows.
struct Place<'a> {
    owner: UserId,
    parent: Option<EntryId>,
    parent_path: &'a str,
    retention: VersionsConfig,
}

/// Inserts or replaces one file in `parent`, enforcing the quota (dropping the owner's
/// oldest versions first when it needs room); a replaced content becomes a version. Returns
/// the entry, how it came to be, and the hashes now unreferenced.
fn put_file(
    tx: &Connection,
    place: &Place,
    file: FileMeta,
    policy: OnConflict,
) -> DriveResult<((Entry, Outcome), Vec<BlobId>)> {
    let (owner, parent) = (place.owner, place.parent);
    let now = now();
    let content = FileContent {
        size: file.size,
        sha256: &file.sha256,
        mime_type: &file.mime_type,
        modified_at: file.modified_at.unwrap_or(now),
        uploaded_by: Some(owner.0),
        source: Some(file.source.as_str()),
    };
    // The blob row first: entries reference it. An object that turns out to duplicate
    // stored content keeps its intent, and is deleted after the commit.
    match &file.object {
        Some(key) => drop(db::objects::acquire(tx, &file.sha256, file.size, key, now)?),
        None => db::blobs::acquire(tx, &file.sha256, file.size, now)?,
    }
    let raw_parent = EntryId::raw(parent);
    let existing = entries::child(tx, owner.0, raw_parent, file.name.as_str())?;
    let mut freed = Vec::new();
    let (id, name, outcome) = match (existing, policy) {
        (Some(old), OnConflict::Overwrite) if !old.is_folder => {
            // The content is swapped first: a version dropped below may release the old
            // blob's last reference, and the entry must no longer point at it then.
            let versioned = kept::keep_old(tx, &old, &file.sha256, place.retention, now)?;
            entries::replace_content(tx, old.id, &content, now)?;
            if versioned {
                freed.extend(kept::trim(tx, old.id, place.retention, now)?);
            } else if let Some(sha256) = &old.sha256 {
                freed.extend(release_all(tx, vec![sha256.clone()])?);
            }
            // A kept version still counts: the new content is charged in full.
            let delta = if versioned {
                file.size
            } else {
                file.size - old.size
            };
            freed.extend(kept::charge_making_room(tx, owner, delta)?);
            (old.id, old.name.clone(), Outcome::Replaced)
        }
        (Some(_), OnConflict::Fail | OnConflict::Overwrite) => {
            return Err(DriveError::NameConflict)
        }
        (existing, _) => {
            let name = if existing.is_some() {
                free_name(tx, owner, parent, &file.name)?
            } else {
                file.name.clone()
            };
            freed.extend(kept::charge_making_room(tx, owner, file.size)?);
            let id = entries::insert_file(tx, owner.0, raw_parent, name.as_str(), &content, now)
                .map_err(name_taken)?;
            (id, name.as_str().to_owned(), Outcome::Created)
        }
    };
    let record = entries::live(tx, owner.0, id)?.ok_or(DriveError::NotFound)?;
    let entry = Entry {
        record,
        path: join_path(place.parent_path, &name),
    };
    Ok(((entry, outcome), freed))
}
