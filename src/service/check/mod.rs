//! `hoard check [--deep] [--repair]`: does the database agree with the blob stores? Safe
//! while the server runs: it reads through its own connection, and repairs only what cannot
//! race an upload (orphans and temp files older than a grace period, counters in one
//! transaction, objects no row names). A damaged local blob is never deleted: `--repair`
//! moves it to `quarantine/<sha256>`, so its files answer a clear error instead of wrong
//! bytes until they are deleted or uploaded again (an upload of the right content puts the
//! blob back). A damaged object is left as it is: it is the only copy its row names.
//!
//! Each blob is checked where its row says it is (SPEC §14): without an object key in
//! `blobs/` ([`local`], every file re-hashed, `--deep` or not: a local read is what the
//! check always cost), with one in the object store ([`objects`]: one listing for sizes;
//! `--deep` downloads and re-hashes every object).

mod counters;
mod local;
mod objects;
mod problem;

use std::path::Path;
use std::time::Duration;

pub use problem::Problem;

use crate::config::ConfigError;
use crate::db::{placement, Db, DbError};
use crate::store::data_dir::DataDir;
use crate::store::s3::{S3Blobs, S3Error, S3Settings};
use crate::store::BlobStore;

use super::Services;

/// Orphans younger than this may belong to an upload between its rename and its commit.
pub const GRACE: Duration = Duration::from_secs(3600);

/// How `hoard check` runs.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Fix what is safe to fix.
    pub repair: bool,
    /// Read and re-hash every object (local blobs are always re-hashed).
    pub deep: bool,
    /// How old an unreferenced file, object or intent must be to count as left over.
    pub grace: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            repair: false,
            deep: false,
            grace: GRACE,
        }
    }
}

/// `hoard check` of an instance: through the store's own object-store client when blobs go
/// to the bucket (`storage.backend = "s3"`), else through one opened from the configuration
/// when rows or intents still name objects (a migration back, or a half-done one).
pub async fn run(services: &Services, options: CheckOptions) -> Result<Vec<Problem>, CheckError> {
    let store = services.drive.store();
    let (db, dirs) = (&services.db, &services.data_dir);
    if store.objects().is_some() || !placement::uses_objects(&*db.connection()?)? {
        return check_store(db, store, dirs, options).await;
    }
    let storage = &services.config.storage;
    storage.require_s3()?;
    let objects = S3Blobs::open(&S3Settings::of(storage))?;
    check_all(db, store, dirs, Some(&objects), options).await
}

/// The check of a data directory through its store, with the store's object-store client
/// when it has one; without one, rows that name objects make it fail.
pub async fn check_store(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    options: CheckOptions,
) -> Result<Vec<Problem>, CheckError> {
    let objects = store.objects().map(|objects| objects.as_ref());
    check_all(db, store, dirs, objects, options).await
}

/// Finds every problem, in both stores; with `repair`, fixes what is safe and returns
/// what remains. `objects` is needed when rows name objects.
pub async fn check_all(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    objects: Option<&S3Blobs>,
    options: CheckOptions,
) -> Result<Vec<Problem>, CheckError> {
    let (rows, intents) = {
        let pooled = db.connection()?;
        let snapshot = pooled.unchecked_transaction().map_err(DbError::from)?;
        (placement::all(&snapshot)?, placement::intents(&snapshot)?)
    };
    let names_objects = !intents.is_empty() || rows.iter().any(|r| r.object_key.is_some());
    if objects.is_none() && names_objects {
        return Err(CheckError::ObjectStoreNeeded);
    }
    let mut problems = scan_local(db, store, dirs, &rows, options.grace)?;
    if let Some(objects) = objects {
        let seen = objects::Snapshot {
            rows: &rows,
            intents: &intents,
        };
        let (deep, grace) = (options.deep, options.grace);
        problems.extend(objects::problems(db, objects, seen, deep, grace).await?);
    }
    if !options.repair {
        return Ok(problems);
    }
    let mut remaining = Vec::new();
    for problem in problems {
        remaining.extend(match objects {
            Some(objects) if is_about_an_object(&problem) => {
                objects::fix(db, objects, problem).await?
            }
            _ => fix_local(db, store, dirs, options.grace, problem)?,
        });
    }
    Ok(remaining)
}

/// The local blobs (rows without a key), the counters and the temp files.
fn scan_local(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    rows: &[placement::Placed],
    grace: Duration,
) -> Result<Vec<Problem>, CheckError> {
    let mut problems = local::blob_problems(store, &dirs.quarantine(), rows, grace)?;
    problems.extend(counters::problems(db)?);
    problems.extend(local::debris(&dirs.tmp(), grace));
    Ok(problems)
}

fn is_about_an_object(problem: &Problem) -> bool {
    matches!(
        problem,
        Problem::MissingObject { .. }
            | Problem::CorruptObject { .. }
            | Problem::OrphanObject { .. }
            | Problem::ReleasedObject { .. }
            | Problem::AbandonedUpload { .. }
    )
}

/// Repairs one problem of the local store or the counters if that is safe; returns what
/// remains of it.
fn fix_local(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    grace: Duration,
    problem: Problem,
) -> Result<Option<Problem>, CheckError> {
    let fixed = match &problem {
        Problem::CorruptBlob { sha256, .. } => {
            local::quarantine(store, &dirs.quarantine(), sha256)?;
            return Ok(Some(Problem::QuarantinedBlob {
                sha256: sha256.clone(),
            }));
        }
        Problem::OrphanBlob { sha256 } => {
            if !crate::db::blobs::exists(&*db.connection()?, sha256)? {
                store.remove(sha256)?;
            }
            true
        }
        Problem::TempDebris { .. } => local::clear_debris(&dirs.tmp(), grace)?,
        Problem::WrongRefs { .. } | Problem::WrongUsage { .. } => counters::recount(db, &problem)?,
        _ => false,
    };
    Ok((!fixed).then_some(problem))
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("reading the data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store: {0}")]
    ObjectStore(#[from] S3Error),
    /// Rows name objects but the object store's keys are not all configured.
    #[error("blobs are in the object store, but {0}")]
    Config(#[from] ConfigError),
    #[error("blobs are in the object store: this check needs its client")]
    ObjectStoreNeeded,
}

/// A consistent snapshot of the database into `target`, safe while the server runs.
pub fn backup(db: &Db, target: &Path) -> Result<(), CheckError> {
    Ok(db.snapshot_into(target)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::store::BlobId;

    /// The server may commit between the scan and the repair: a repair must write what is
    /// true when it writes, never the value the scan saw.
    #[tokio::test]
    async fn repairs_recount_instead_of_writing_what_the_scan_saw() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("hoard.db")).unwrap();
        let dirs = DataDir::open(dir.path()).unwrap();
        let store = BlobStore::new(dirs.blobs(), dirs.tmp(), dirs.thumbs());
        let conn = db.connection().unwrap();
        conn.execute_batch(
            "INSERT INTO users (username, email, password_hash, display_name, created_at,
                                updated_at, storage_used)
             VALUES ('a', 'a@example.com', 'x', 'a', 0, 0, 1);
             INSERT INTO blobs (sha256, size, refs, created_at) VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 10, 9, 0);
             INSERT INTO entries (owner_id, name, kind, size, sha256, created_at, updated_at)
             VALUES (1, 'one', 'file', 10, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 0), (1, 'two', 'file', 10, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0, 0);",
        )
        .unwrap();
        // Values found by a scan that ran before the second entry was committed.
        let stale = [
            Problem::WrongUsage {
                user_id: UserId(1),
                recorded: 1,
                actual: 10,
            },
            Problem::WrongRefs {
                sha256: BlobId::parse(&"a".repeat(64)).unwrap(),
                recorded: 9,
                actual: 1,
            },
        ];
        for problem in stale {
            assert_eq!(fix_local(&db, &store, &dirs, GRACE, problem).unwrap(), None);
        }
        let (used, refs): (i64, i64) = conn
            .query_row(
                "SELECT storage_used, (SELECT refs FROM blobs) FROM users",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((used, refs), (20, 2));
        assert_eq!(
            check_store(&db, &store, &dirs, CheckOptions::default())
                .await
                .unwrap()
                .len(),
            1,
            "only the missing blob"
        );
    }
}
