//! `hoard check [--repair]`: does the database agree with the blob store? Safe while the
//! server runs: it reads through its own connection, and repairs only what cannot race an
//! upload (orphans and temp files older than a grace period, counters in one transaction).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::db::{self, Db, DbError};
use crate::store::{hash_file, BlobStore};

/// Orphans younger than this may belong to an upload between its rename and its commit.
const GRACE: Duration = Duration::from_secs(3600);

/// One disagreement between the database and the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A blob row whose file is gone: its files cannot be read (not repairable).
    MissingBlob { sha256: String },
    /// A blob file of the wrong size or content (not repairable).
    CorruptBlob { sha256: String, detail: String },
    /// A blob file no row refers to (repair: delete once older than the grace period).
    OrphanBlob { sha256: String },
    /// A blob row whose reference count is wrong (repair: set it).
    WrongRefs {
        sha256: String,
        recorded: i64,
        actual: i64,
    },
    /// A user whose `storage_used` is wrong (repair: set it).
    WrongUsage {
        user_id: i64,
        recorded: i64,
        actual: i64,
    },
    /// Leftover temp files of interrupted uploads (repair: delete old ones).
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
    tmp: &Path,
    repair: bool,
) -> Result<Vec<Problem>, CheckError> {
    let mut problems = blob_problems(db, store)?;
    problems.extend(counter_problems(db)?);
    let debris = std::fs::read_dir(tmp)
        .map(|dir| dir.filter_map(Result::ok).count())
        .unwrap_or(0);
    if debris > 0 {
        problems.push(Problem::TempDebris { count: debris });
    }
    if !repair {
        return Ok(problems);
    }
    let mut remaining = Vec::new();
    for problem in problems {
        if !fix(db, store, tmp, &problem)? {
            remaining.push(problem);
        }
    }
    Ok(remaining)
}

fn blob_problems(db: &Db, store: &BlobStore) -> Result<Vec<Problem>, CheckError> {
    let conn = db.connection()?;
    let rows = db::blobs::all(&conn)?;
    let on_disk: HashMap<String, u64> = store.list()?.into_iter().collect();
    let mut problems = Vec::new();
    for (sha256, size, _) in &rows {
        let Some(disk_size) = on_disk.get(sha256) else {
            problems.push(Problem::MissingBlob {
                sha256: sha256.clone(),
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
    let known: std::collections::HashSet<&String> = rows.iter().map(|(sha, _, _)| sha).collect();
    let mut orphans: Vec<Problem> = on_disk
        .keys()
        .filter(|sha| !known.contains(sha))
        .map(|sha| Problem::OrphanBlob {
            sha256: sha.clone(),
        })
        .collect();
    orphans.sort_by_key(ToString::to_string);
    problems.extend(orphans);
    Ok(problems)
}

fn counter_problems(db: &Db) -> Result<Vec<Problem>, CheckError> {
    let conn = db.connection()?;
    let actual: HashMap<String, i64> = db::blobs::actual_refs(&conn)?.into_iter().collect();
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
                user_id: user.id,
                recorded: user.storage_used,
                actual,
            });
        }
    }
    Ok(problems)
}

/// Repairs one problem if that is safe; returns whether it is gone.
fn fix(db: &Db, store: &BlobStore, tmp: &Path, problem: &Problem) -> Result<bool, CheckError> {
    let conn = db.connection()?;
    match problem {
        Problem::OrphanBlob { sha256 } if older_than_grace(&store.path(sha256)) => {
            if db::blobs::exists(&conn, sha256)? {
                return Ok(true);
            }
            store.remove(sha256)?;
            Ok(true)
        }
        Problem::WrongRefs { sha256, actual, .. } => {
            if *actual == 0 {
                conn.execute("DELETE FROM blobs WHERE sha256 = ?1", [sha256])
                    .map_err(DbError::from)?;
            } else {
                db::blobs::set_refs(&conn, sha256, *actual)?;
            }
            Ok(true)
        }
        Problem::WrongUsage {
            user_id, actual, ..
        } => {
            db::users::set_usage(&conn, *user_id, *actual)?;
            Ok(true)
        }
        Problem::TempDebris { .. } => {
            let mut left = 0;
            for entry in std::fs::read_dir(tmp)?.filter_map(Result::ok) {
                if older_than_grace(&entry.path()) {
                    std::fs::remove_file(entry.path())?;
                } else {
                    left += 1;
                }
            }
            Ok(left == 0)
        }
        _ => Ok(false),
    }
}

fn older_than_grace(path: &Path) -> bool {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| SystemTime::now());
    modified.elapsed().is_ok_and(|age| age > GRACE)
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
    let conn = db.connection()?;
    conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])
        .map_err(DbError::from)?;
    Ok(())
}
