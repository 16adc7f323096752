//! The local side of `hoard check`: blob rows without an object key against the files in
//! `blobs/` (each re-hashed, `--deep` or not), orphan files, temp debris, quarantine.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{CheckError, Problem};
use crate::db::placement::Placed;
use crate::store::{hash_file, BlobId, BlobStore};

/// The local store's problems: a row without a key whose file is missing, of the wrong
/// size or content; and files no row refers to, older than `grace`. A file whose row
/// names an object is the source copy a migration left (SPEC §14: nothing is deleted from
/// the source): neither checked nor an orphan.
pub(super) fn blob_problems(
    store: &BlobStore,
    quarantine: &Path,
    rows: &[Placed],
    grace: Duration,
) -> Result<Vec<Problem>, CheckError> {
    let on_disk: HashMap<BlobId, u64> = store.list()?.into_iter().collect();
    let mut problems = Vec::new();
    for row in rows.iter().filter(|row| row.object_key.is_none()) {
        let sha256 = &row.sha256;
        let Some(disk_size) = on_disk.get(sha256) else {
            let sha256 = sha256.clone();
            problems.push(if quarantine.join(sha256.as_str()).exists() {
                Problem::QuarantinedBlob { sha256 }
            } else {
                Problem::MissingBlob { sha256 }
            });
            continue;
        };
        let detail = if *disk_size != row.size as u64 {
            format!("{disk_size} bytes on disk, {} recorded", row.size)
        } else {
            match hash_file(&store.path(sha256)) {
                Ok((actual, _)) if actual == *sha256 => continue,
                Ok((actual, _)) => format!("content hashes to {actual}"),
                Err(error) => error.to_string(),
            }
        };
        problems.push(Problem::CorruptBlob {
            sha256: sha256.clone(),
            detail,
        });
    }
    let known: HashSet<&BlobId> = rows.iter().map(|row| &row.sha256).collect();
    let mut orphans: Vec<Problem> = on_disk
        .keys()
        .filter(|sha| !known.contains(sha) && older_than(&store.path(sha), grace))
        .map(|sha| Problem::OrphanBlob {
            sha256: sha.clone(),
        })
        .collect();
    orphans.sort_by_key(ToString::to_string);
    problems.extend(orphans);
    Ok(problems)
}

/// Temp files older than `grace`, as a problem when there are any.
pub(super) fn debris(tmp: &Path, grace: Duration) -> Option<Problem> {
    let count = std::fs::read_dir(tmp)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|entry| older_than(&entry.path(), grace))
                .count()
        })
        .unwrap_or(0);
    (count > 0).then_some(Problem::TempDebris { count })
}

/// Moves a damaged blob file to `quarantine/<sha256>` (`<sha256>.N` when an earlier copy is
/// there), durably: both directories are fsync'd.
pub(super) fn quarantine(store: &BlobStore, dir: &Path, sha256: &BlobId) -> Result<(), CheckError> {
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

/// Removes temp files older than `grace`; returns whether none is left.
pub(super) fn clear_debris(tmp: &Path, grace: Duration) -> Result<bool, CheckError> {
    let mut left = 0;
    for entry in std::fs::read_dir(tmp)?.filter_map(Result::ok) {
        if older_than(&entry.path(), grace) {
            std::fs::remove_file(entry.path())?;
        } else if entry.path().is_file() {
            left += 1;
        }
    }
    Ok(left == 0)
}

/// A file last written longer than `grace` ago. Directories are not debris: `tmp/uploads/`
/// holds resumable uploads, which expire by their own rules.
pub(super) fn older_than(path: &Path, grace: Duration) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    let modified = meta.modified().unwrap_or_else(|_| SystemTime::now());
    meta.is_file() && modified.elapsed().is_ok_and(|age| age > grace)
}
