//! `hoard check [--repair]`: does the database agree with the blob store? Safe while the
//! server runs: it reads through its own connection, and repairs only what cannot race an
//! upload (orphans and temp files older than a grace period, counters in one transaction).
//! A damaged blob is never deleted: `--repair` moves it to `quarantine/<sha256>`, so its
//! files answer a clear error instead of wrong bytes until they are deleted or uploaded
//! again (an upload of the right content puts the blob back).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::db::{self, Db, DbError};
use crate::ids::UserId;
use crate::store::data_dir::DataDir;
use crate::store::{hash_file, BlobId, BlobStore};

/// Orphans younger than this may belong to an upload between its rename and its commit.
const GRACE: Duration = Duration::from_secs(3600);

/// One disagreement between the database and the disk.
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

/// Finds every problem; with `repair`, fixes what is safe and returns what remains.
pub fn check(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    repair: bool,
) -> Result<Vec<Problem>, CheckError> {
    let tmp = &dirs.tmp();
    let mut problems = blob_problems(db, store, &dirs.quarantine())?;
    problems.extend(counter_problems(db)?);
    let debris = std::fs::read_dir(tmp)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|entry| older_than_grace(&entry.path()))
                .count()
        })
        .unwrap_or(0);
    if debris > 0 {
        problems.push(Problem::TempDebris { count: debris });
    }
    if !repair {
        return Ok(problems);
    }
    let mut remaining = Vec::new();
    for problem in problems {
        remaining.extend(fix(db, store, dirs, problem)?);
    }
    Ok(remaining)
}

fn blob_problems(
    db: &Db,
    store: &BlobStore,
    quarantine: &Path,
) -> Result<Vec<Problem>, CheckError> {
    let conn = db.connection()?;
    let rows = db::blobs::all(&conn)?;
    let on_disk: HashMap<BlobId, u64> = store.list()?.into_iter().collect();
    let mut problems = Vec::new();
    for (sha256, size, _) in &rows {
        let Some(disk_size) = on_disk.get(sha256) else {
            let sha256 = sha256.clone();
            problems.push(if quarantine.join(sha256.as_str()).exists() {
                Problem::QuarantinedBlob { sha256 }
            } else {
                Problem::MissingBlob { sha256 }
            });
            continue;
        };
        if *disk_size != *size as u64 {
            let detail = format!("{disk_size} bytes on disk, {size} recorded");
            problems.push(Problem::CorruptBlob {
                sha256: sha256.clone(),
                detail,
            });
            continue;
        }
        match hash_file(&store.path(sha256)) {
            Ok((actual, _)) if actual == *sha256 => {}
            Ok((actual, _)) => problems.push(Problem::CorruptBlob {
                sha256: sha256.clone(),
                detail: format!("content hashes to {actual}"),
            }),
            Err(error) => problems.push(Problem::CorruptBlob {
                sha256: sha256.clone(),
                detail: error.to_string(),
            }),
        }
    }
    let known: std::collections::HashSet<&BlobId> = rows.iter().map(|(sha, _, _)| sha).collect();
    let mut orphans: Vec<Problem> = on_disk
        .keys()
        .filter(|sha| !known.contains(sha) && older_than_grace(&store.path(sha)))
        .map(|sha| Problem::OrphanBlob {
            sha256: sha.clone(),
        })
        .collect();
    orphans.sort_by_key(ToString::to_string);
    problems.extend(orphans);
    Ok(problems)
}

fn counter_problems(db: &Db) -> Result<Vec<Problem>, CheckError> {
    let pooled = db.connection()?;
    // One read transaction: counters and rows from the same snapshot, whatever the server
    // commits meanwhile.
    let conn = pooled.unchecked_transaction().map_err(DbError::from)?;
    let actual: HashMap<BlobId, i64> = db::blobs::actual_refs(&conn)?.into_iter().collect();
    let mut problems = Vec::new();
    for (sha256, _, recorded) in db::blobs::all(&conn)? {
        let actual = actual.get(&sha256).copied().unwrap_or(0);
        if actual != recorded {
            problems.push(Problem::WrongRefs {
                sha256,
                recorded,
                actual,
            });
        }
    }
    for user in db::users::all(&conn)? {
        let actual = db::entries::owner_usage(&conn, user.id)?;
        if actual != user.storage_used {
            problems.push(Problem::WrongUsage {
                user_id: UserId(user.id),
                recorded: user.storage_used,
                actual,
            });
        }
    }
    Ok(problems)
}

/// Repairs one problem if that is safe; returns what remains of it.
fn fix(
    db: &Db,
    store: &BlobStore,
    dirs: &DataDir,
    problem: Problem,
) -> Result<Option<Problem>, CheckError> {
    let fixed = match &problem {
        Problem::CorruptBlob { sha256, .. } => {
            quarantine(store, &dirs.quarantine(), sha256)?;
            return Ok(Some(Problem::QuarantinedBlob {
                sha256: sha256.clone(),
            }));
        }
        Problem::OrphanBlob { sha256 } => {
            if !db::blobs::exists(&*db.connection()?, sha256)? {
                store.remove(sha256)?;
            }
            true
        }
        Problem::TempDebris { .. } => clear_debris(&dirs.tmp())?,
        Problem::WrongRefs { .. } | Problem::WrongUsage { .. } => recount(db, &problem)?,
        Problem::MissingBlob { .. } | Problem::QuarantinedBlob { .. } => false,
    };
    Ok((!fixed).then_some(problem))
}

/// Moves a damaged blob file to `quarantine/<sha256>` (`<sha256>.N` when an earlier copy is
/// there), durably: both directories are fsync'd.
fn quarantine(store: &BlobStore, dir: &Path, sha256: &BlobId) -> Result<(), CheckError> {
    std::fs::create_dir_all(dir)?;
    let mut target = dir.join(sha256.as_str());
    for n in 1.. {
        if !target.exists() {
            break;
        }
        target = dir.join(format!("{sha256}.{n}"));
    }
    let source = store.path(sha256);
    std::fs::rename(&source, &target)?;
    for synced in [Some(dir), source.parent()].into_iter().flatten() {
        std::fs::File::open(synced)?.sync_all()?;
    }
    Ok(())
}

/// Counters are recounted inside the write transaction: the values found earlier may be
/// stale by now if the server committed an upload or a delete in between.
fn recount(db: &Db, problem: &Problem) -> Result<bool, CheckError> {
    let mut conn = db.connection()?;
    match problem {
        Problem::WrongRefs { sha256, .. } => {
            let tx = immediate(&mut conn)?;
            db::blobs::recount(&tx, sha256)?;
            tx.commit().map_err(DbError::from)?;
            Ok(true)
        }
        Problem::WrongUsage { user_id, .. } => {
            let tx = immediate(&mut conn)?;
            let actual = db::entries::owner_usage(&tx, user_id.0)?;
            db::users::set_usage(&tx, user_id.0, actual)?;
            tx.commit().map_err(DbError::from)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Removes temp files older than the grace period; returns whether none is left.
fn clear_debris(tmp: &Path) -> Result<bool, CheckError> {
    let mut left = 0;
    for entry in std::fs::read_dir(tmp)?.filter_map(Result::ok) {
        if older_than_grace(&entry.path()) {
            std::fs::remove_file(entry.path())?;
        } else if entry.path().is_file() {
            left += 1;
        }
    }
    Ok(left == 0)
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, CheckError> {
    Ok(conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(DbError::from)?)
}

/// A file left in `tmp/` for longer than the grace period. Directories are not debris:
/// `tmp/uploads/` holds resumable uploads, which expire by their own rules.
fn older_than_grace(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
    meta.is_file() && modified.elapsed().is_ok_and(|age| age > GRACE)
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("reading the data directory: {0}")]
    Io(#[from] std::io::Error),
}

/// A consistent snapshot of the database into `target`, safe while the server runs.
pub fn backup(db: &Db, target: &Path) -> Result<(), CheckError> {
    Ok(db.snapshot_into(target)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server may commit between the scan and the repair: a repair must write what is
    /// true when it writes, never the value the scan saw.
    #[test]
    fn repairs_recount_instead_of_writing_what_the_scan_saw() {
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
            assert_eq!(fix(&db, &store, &dirs, problem).unwrap(), None);
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
            check(&db, &store, &dirs, false).unwrap().len(),
            1,
            "only the missing blob"
        );
    }
}
