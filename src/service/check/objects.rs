//! The object-store side of `hoard check` (SPEC §14): blob rows with an object key against
//! one listing of the bucket (sizes; with `--deep`, every object read and re-hashed), and
//! the objects nothing accounts for: orphans, released blobs' objects, abandoned uploads.
//!
//! Races with a live server. Rows and intents are read in one snapshot *before* the
//! listing: an object an upload writes after the snapshot is younger than the grace
//! period, so it is never taken for an orphan. A row whose object the listing lacks is
//! looked up again before it is reported (a blob released meanwhile is no problem). A
//! repair looks the key up again before deleting: an object a row names is never deleted.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{CheckError, Problem};
use crate::db::placement::{self, Placed};
use crate::db::{self, Db};
use crate::store::s3::{Listed, S3Blobs, S3Error};
use crate::store::BlobId;

/// What the database says about objects, read in one snapshot.
pub(super) struct Snapshot<'a> {
    pub rows: &'a [Placed],
    /// (key, created_at); created_at 0: a released blob's object.
    pub intents: &'a [(String, i64)],
}

pub(super) async fn problems(
    db: &Db,
    objects: &S3Blobs,
    seen: Snapshot<'_>,
    deep: bool,
    grace: Duration,
) -> Result<Vec<Problem>, CheckError> {
    let listed: HashMap<String, Listed> = objects
        .list()
        .await?
        .into_iter()
        .map(|l| (l.key.clone(), l))
        .collect();
    let mut problems = Vec::new();
    for row in seen.rows {
        let Some(key) = &row.object_key else { continue };
        if let Some(problem) = row_problem(db, objects, row, key, listed.get(key), deep).await? {
            problems.push(problem);
        }
    }
    let cutoff = db::now() - grace.as_secs() as i64;
    for (key, created_at) in seen.intents {
        let key = key.clone();
        if *created_at == 0 {
            problems.push(Problem::ReleasedObject { key });
        } else if *created_at <= cutoff {
            problems.push(Problem::AbandonedUpload { key });
        }
    }
    let named: HashSet<&str> = seen
        .rows
        .iter()
        .filter_map(|row| row.object_key.as_deref())
        .chain(seen.intents.iter().map(|(key, _)| key.as_str()))
        .collect();
    let mut orphans: Vec<&Listed> = listed
        .values()
        .filter(|l| !named.contains(l.key.as_str()) && l.modified <= cutoff)
        .collect();
    orphans.sort_by(|a, b| a.key.cmp(&b.key));
    problems.extend(
        orphans
            .into_iter()
            .map(|l| Problem::OrphanObject { key: l.key.clone() }),
    );
    Ok(problems)
}

/// What is wrong with one row's object, if anything.
async fn row_problem(
    db: &Db,
    objects: &S3Blobs,
    row: &Placed,
    key: &str,
    listed: Option<&Listed>,
    deep: bool,
) -> Result<Option<Problem>, CheckError> {
    let (sha256, key_owned) = (row.sha256.clone(), key.to_owned());
    let missing = Problem::MissingObject {
        sha256: sha256.clone(),
        key: key_owned.clone(),
    };
    let Some(listed) = listed else {
        let still = placement::named(&*db.connection()?, key)?;
        return Ok(still.then_some(missing));
    };
    let detail = if listed.size != row.size as u64 {
        format!(
            "{} bytes in the object store, {} recorded",
            listed.size, row.size
        )
    } else if deep {
        match rehash(objects, key).await {
            Ok((actual, _)) if actual == sha256 => return Ok(None),
            Ok((actual, size)) if size != listed.size => {
                format!(
                    "{size} bytes read, {} listed (content hashes to {actual})",
                    listed.size
                )
            }
            Ok((actual, _)) => format!("content hashes to {actual}"),
            Err(S3Error::NotFound) => return Ok(Some(missing)),
            Err(error) => return Err(error.into()),
        }
    } else {
        return Ok(None);
    };
    Ok(Some(Problem::CorruptObject {
        sha256,
        key: key_owned,
        detail,
    }))
}

/// Reads a whole object as a stream and hashes it: (hash, bytes read).
async fn rehash(objects: &S3Blobs, key: &str) -> Result<(BlobId, u64), S3Error> {
    let mut stream = objects.read_all(key).await?;
    let (mut hasher, mut size) = (Sha256::new(), 0u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| S3Error::Unavailable(error.to_string()))?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((BlobId::from_digest(&hasher.finalize().into()), size))
}

/// Repairs one object problem if that is safe; returns what remains of it.
pub(super) async fn fix(
    db: &Db,
    objects: &S3Blobs,
    problem: Problem,
) -> Result<Option<Problem>, CheckError> {
    let (key, intended) = match &problem {
        Problem::OrphanObject { key } => (key.clone(), false),
        Problem::ReleasedObject { key } | Problem::AbandonedUpload { key } => (key.clone(), true),
        _ => return Ok(Some(problem)),
    };
    let (named, intent) = {
        let conn = db.connection()?;
        (
            placement::named(&conn, &key)?,
            placement::intended_at(&conn, &key)?,
        )
    };
    // An orphan that gained a row or an intent since the scan is no orphan any more.
    if !named && (intended || intent.is_none()) {
        objects.remove(&key).await?;
    }
    if intended {
        // Only once the object is gone: a failed deletion keeps its intent for a retry.
        db::objects::settle(&*db.connection()?, &key)?;
    }
    Ok(None)
}
