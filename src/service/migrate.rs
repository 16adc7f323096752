//! `hoard migrate-blobs --to s3|local` (SPEC §14): copies every blob to the other store,
//! verifies its hash, and only then points its row there.
//!
//! A row names where its blob is (`blobs.object_key`), and reads follow the row, so every
//! blob moves on its own and the migration can stop anywhere: kill -9, the store going away,
//! a damaged blob. Rows already moved are skipped on the next run. To the object store, a
//! blob's key is recorded as an intent (committed) before its first byte is sent, so an
//! object whose transfer was cut is one `hoard check --repair` (or the sweeper) removes
//! after the grace period; to the local store, bytes are staged in `tmp/` and fsync'd
//! before they are renamed into `blobs/`. The source is never written to: the local files
//! stay after `--to s3`, the objects after `--to local`.
//!
//! It needs the server stopped: it holds the data directory's lock exclusively, which every
//! `hoard serve` holds shared (an upload committed beside it would land in the store the
//! migration is leaving).

use futures_util::TryStreamExt;
use tokio_util::io::StreamReader;

use super::Services;
use crate::config::{Backend, ConfigError};
use crate::db::placement::{self, Placed};
use crate::db::{self, Db, DbError};
use crate::store::data_dir::DirLock;
use crate::store::s3::{S3Blobs, S3Error, S3Settings};
use crate::store::{hash_file, BlobId, BlobStore, StoreError};

/// Rows read per page of the walk.
const PAGE: i64 = 64;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("a hoard server is running on this data directory (it holds {0}); stop it first")]
    Running(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("object store: {0}")]
    ObjectStore(#[from] S3Error),
    #[error("blob {sha256} is missing from {place}; `hoard check` reports it; nothing was switched for it")]
    Missing { sha256: BlobId, place: String },
    #[error("blob {sha256}: {copy} is {found}, the database records {size} bytes of that hash; nothing was switched for it (see `hoard check`)")]
    Mismatch {
        sha256: BlobId,
        copy: String,
        found: String,
        size: i64,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("local store: {0}")]
    Store(#[from] StoreError),
    #[error("local store: {0}")]
    Io(#[from] std::io::Error),
}

/// What a migration has to do: rows to move (and their bytes), rows already moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub moving: u64,
    pub bytes: u64,
    pub already: u64,
}

/// One blob moved.
#[derive(Debug, Clone)]
pub struct Moved {
    pub sha256: BlobId,
    pub size: i64,
    /// The object it was copied to or from.
    pub key: String,
    /// To the local store: the copy already in `blobs/` was intact, so none was downloaded.
    pub kept: bool,
}

/// A migration of one data directory, holding its lock.
pub struct Migration<'a> {
    db: &'a Db,
    store: &'a BlobStore,
    objects: S3Blobs,
    _lock: DirLock,
}

impl<'a> Migration<'a> {
    /// Takes the data directory's lock, opens the configured object store and asks it
    /// something, so that a wrong setting fails here rather than after the first blob.
    pub async fn open(services: &'a Services) -> Result<Self, MigrateError> {
        let dirs = &services.data_dir;
        let running = || MigrateError::Running(dirs.lock_file().display().to_string());
        let lock = dirs.try_lock(true)?.ok_or_else(running)?;
        let storage = &services.config.storage;
        storage.require_s3()?;
        let objects = S3Blobs::open(&S3Settings::of(storage))?;
        objects.ping().await?;
        Ok(Self {
            db: &services.db,
            store: services.drive.store(),
            objects,
            _lock: lock,
        })
    }

    /// How many rows are where (`to` is the store they go to).
    pub async fn plan(&self, to: Backend) -> Result<Plan, MigrateError> {
        let from_objects = to == Backend::Local;
        let (moving, bytes, already) = self
            .db
            .run(move |conn| {
                let (moving, bytes) = placement::tally(conn, from_objects)?;
                let (already, _) = placement::tally(conn, !from_objects)?;
                Ok::<_, DbError>((moving, bytes, already))
            })
            .await?;
        Ok(Plan {
            moving,
            bytes,
            already,
        })
    }

    /// Moves every row that is not in `to` yet, calling `each` after each commit; stops at
    /// the first failure.
    pub async fn run(&self, to: Backend, mut each: impl FnMut(&Moved)) -> Result<(), MigrateError> {
        let from_objects = to == Backend::Local;
        let mut after: Option<BlobId> = None;
        loop {
            let from = after.clone();
            let page = self
                .db
                .run(move |conn| placement::page(conn, from_objects, from.as_ref(), PAGE))
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.sha256.clone());
            for row in page {
                let moved = match &row.object_key {
                    Some(key) => self.to_local(&row, key).await?,
                    None => self.to_object(&row).await?,
                };
                each(&moved);
            }
        }
    }

    /// Uploads a local blob under a new key recorded first, checks what the store
    /// received, then points the row at it.
    async fn to_object(&self, row: &Placed) -> Result<Moved, MigrateError> {
        let path = self.store.path(&row.sha256);
        let file = match tokio::fs::File::open(&path).await {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(missing(row, "blobs/"))
            }
            opened => opened?,
        };
        let length = file.metadata().await?.len();
        if length != row.size as u64 {
            return Err(mismatch(
                row,
                "the file in blobs/",
                format!("{length} bytes"),
            ));
        }
        let key = S3Blobs::new_key();
        let (intent, now) = (key.clone(), db::now());
        self.db
            .write(move |tx| db::objects::intend(tx, &intent, now))
            .await?;
        let written = match self.objects.upload_as(&key, file, Some(length)).await {
            Err(S3Error::Source(error)) => return Err(error.into()),
            written => written?,
        };
        if written.sha256 != row.sha256 || written.size != length {
            self.discard(&key).await;
            let found = format!("{} bytes hashing to {}", written.size, written.sha256);
            return Err(mismatch(row, "what the object store received", found));
        }
        let (sha256, settled) = (row.sha256.clone(), key.clone());
        let moved = self
            .db
            .write(move |tx| {
                let moved = placement::to_object(tx, &sha256, &settled)?;
                if moved {
                    db::objects::settle(tx, &settled)?;
                }
                Ok::<_, DbError>(moved)
            })
            .await?;
        if !moved {
            // Not ours to move any more (nothing else writes while the lock is held).
            self.discard(&key).await;
        }
        Ok(Moved {
            sha256: row.sha256.clone(),
            size: row.size,
            key,
            kept: false,
        })
    }

    /// Copies an object into `blobs/` (staged, hashed, fsync'd, renamed), unless an intact
    /// copy is there already, then points the row at the local store.
    async fn to_local(&self, row: &Placed, key: &str) -> Result<Moved, MigrateError> {
        let path = self.store.path(&row.sha256);
        let probe = path.clone();
        let present = match tokio::task::spawn_blocking(move || hash_file(&probe))
            .await
            .map_err(std::io::Error::other)?
        {
            Ok(found) => Some(found),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(error.into()),
        };
        let kept = present == Some((row.sha256.clone(), row.size as u64));
        if !kept {
            let mut staged = self.download(row, key).await?;
            let _stripe = self.store.lock([&row.sha256]).await;
            // A damaged copy an earlier migration left would keep `place` from putting
            // the verified one there.
            if present.is_some() {
                tokio::fs::remove_file(&path).await?;
            }
            self.store.place(&mut staged)?;
        }
        let (sha256, from) = (row.sha256.clone(), key.to_owned());
        self.db
            .write(move |tx| placement::to_local(tx, &sha256, &from))
            .await?;
        Ok(Moved {
            sha256: row.sha256.clone(),
            size: row.size,
            key: key.to_owned(),
            kept,
        })
    }

    /// Streams an object into `tmp/` and checks its hash and size.
    async fn download(
        &self,
        row: &Placed,
        key: &str,
    ) -> Result<crate::store::StagedBlob, MigrateError> {
        let stream = match self.objects.read_all(key).await {
            Err(S3Error::NotFound) => {
                return Err(missing(row, &format!("the object store ({key})")))
            }
            stream => stream?,
        };
        let reader = StreamReader::new(stream.map_err(std::io::Error::other));
        let limit = row.size as u64;
        let staged = match self.store.stage(reader, Some(limit)).await {
            Err(StoreError::LimitExceeded { .. }) => {
                let found = format!("more than {limit} bytes");
                return Err(mismatch(row, &format!("the object {key}"), found));
            }
            Err(StoreError::Interrupted(error)) => {
                return Err(S3Error::Unavailable(error.to_string()).into())
            }
            staged => staged?,
        };
        if staged.sha256 != row.sha256 || staged.size != limit {
            let found = format!("{} bytes hashing to {}", staged.size, staged.sha256);
            return Err(mismatch(row, &format!("the object {key}"), found));
        }
        Ok(staged)
    }

    /// Deletes an object this migration wrote and no row names, then its intent; on
    /// failure the intent stays for `hoard check --repair`.
    async fn discard(&self, key: &str) {
        if self.objects.remove(key).await.is_ok() {
            let key = key.to_owned();
            let _ = self.db.write(move |tx| db::objects::settle(tx, &key)).await;
        }
    }
}

fn missing(row: &Placed, place: &str) -> MigrateError {
    MigrateError::Missing {
        sha256: row.sha256.clone(),
        place: place.to_owned(),
    }
}

fn mismatch(row: &Placed, copy: &str, found: String) -> MigrateError {
    MigrateError::Mismatch {
        sha256: row.sha256.clone(),
        copy: copy.to_owned(),
        found,
        size: row.size,
    }
}
