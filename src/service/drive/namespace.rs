//! Row-level rules of a user's namespace, shared by uploads, tree changes and the trash:
//! finding entries by path, folders that must exist, free names, and the quota charge.
//! Each runs inside the caller's transaction.

use rusqlite::Connection;

use super::names::FileName;
use super::{DriveError, DriveResult};
use crate::db::entries::{self, EntryRecord};
use crate::db::{self, now};
use crate::ids::{EntryId, UserId};

/// Follows `names` down from `parent` through live entries; None when a step is missing.
pub(crate) fn walk(
    conn: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
    names: &[FileName],
) -> DriveResult<Option<EntryRecord>> {
    let mut parent = EntryId::raw(parent);
    let mut found = None;
    for name in names {
        let Some(entry) = entries::child(conn, owner.0, parent, name.as_str())? else {
            return Ok(None);
        };
        parent = Some(entry.id);
        found = Some(entry);
    }
    Ok(found)
}

/// Adds `delta` bytes to the owner's usage, refusing to pass the quota.
pub(crate) fn charge(tx: &Connection, owner: UserId, delta: i64) -> DriveResult<()> {
    let (used, quota) = db::users::usage(tx, owner.0)?;
    if delta > 0 && quota.is_some_and(|q| used + delta > q) {
        return Err(DriveError::QuotaExceeded);
    }
    db::users::add_usage(tx, owner.0, delta)?;
    Ok(())
}

/// The first of `name (1)`, `name (2)`, … that is free in `parent`.
pub(crate) fn free_name(
    tx: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
    name: &FileName,
) -> DriveResult<FileName> {
    for n in 1..10_000 {
        let candidate = name.numbered(n)?;
        if entries::child(tx, owner.0, EntryId::raw(parent), candidate.as_str())?.is_none() {
            return Ok(candidate);
        }
    }
    Err(DriveError::NameConflict)
}

/// The live folder `parent` of `owner` (None: the root) and its path; anything else is
/// `NotFound`.
pub(crate) fn folder_path(
    tx: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
) -> DriveResult<String> {
    require_folder(tx, owner, parent)?;
    match parent {
        None => Ok("/".into()),
        Some(id) => Ok(entries::path_of(tx, id.0)?),
    }
}

/// `parent` is the root or one of the owner's live folders (no path computed).
pub(crate) fn require_folder(
    tx: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
) -> DriveResult<()> {
    match parent {
        None => Ok(()),
        Some(id) => match entries::live(tx, owner.0, id.0)? {
            Some(EntryRecord {
                is_folder: true, ..
            }) => Ok(()),
            _ => Err(DriveError::NotFound),
        },
    }
}

/// One of the owner's live files (not a folder); anything else is `NotFound`.
pub(crate) fn live_file(conn: &Connection, owner: UserId, id: EntryId) -> DriveResult<EntryRecord> {
    match entries::live(conn, owner.0, id.0)? {
        Some(entry) if !entry.is_folder => Ok(entry),
        _ => Err(DriveError::NotFound),
    }
}

/// The folder `name` in `parent`, created when missing; a file there is a conflict.
pub(crate) fn ensure_folder(
    tx: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
    name: &FileName,
) -> DriveResult<EntryId> {
    let parent = EntryId::raw(parent);
    match entries::child(tx, owner.0, parent, name.as_str())? {
        Some(existing) if existing.is_folder => Ok(EntryId(existing.id)),
        Some(_) => Err(DriveError::NameConflict),
        None => {
            let now = now();
            let id = entries::insert_folder(tx, owner.0, parent, name.as_str(), now, now)?;
            Ok(EntryId(id))
        }
    }
}

/// The unique index is the last word on name clashes.
pub(crate) fn name_taken(error: db::DbError) -> DriveError {
    if error.violates("entries_live_name") || error.violates("entries.owner_id") {
        DriveError::NameConflict
    } else {
        DriveError::Db(error)
    }
}
