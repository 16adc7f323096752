//! The `file_versions` table: earlier contents of files (SPEC §13). A version holds one
//! reference on its blob, like an entry; `entries.version_count` follows by trigger.

use rusqlite::{params, Connection, Row};

use super::entries::EntryRecord;
use super::DbResult;
use crate::ids::BlobId;

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub id: i64,
    pub entry_id: i64,
    pub owner_id: i64,
    pub sha256: BlobId,
    pub size: i64,
    pub mime_type: Option<String>,
    pub modified_at: i64,
    pub uploaded_by: Option<i64>,
    /// The uploader's username, when the account still exists.
    pub uploader: Option<String>,
    pub source: Option<String>,
    /// When it stopped being the current content.
    pub created_at: i64,
}

const SELECT: &str = "SELECT v.id, v.entry_id, v.owner_id, v.sha256, v.size, v.mime_type,
    v.modified_at, v.uploaded_by, u.username, v.source, v.created_at
    FROM file_versions v LEFT JOIN users u ON u.id = v.uploaded_by";

fn from_row(row: &Row) -> rusqlite::Result<VersionRecord> {
    Ok(VersionRecord {
        id: row.get(0)?,
        entry_id: row.get(1)?,
        owner_id: row.get(2)?,
        sha256: row.get(3)?,
        size: row.get(4)?,
        mime_type: row.get(5)?,
        modified_at: row.get(6)?,
        uploaded_by: row.get(7)?,
        uploader: row.get(8)?,
        source: row.get(9)?,
        created_at: row.get(10)?,
    })
}

fn query(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> DbResult<Vec<VersionRecord>> {
    let sql = format!("{SELECT} WHERE {filter}");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(args, from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Keeps a file's current content as a version (its blob reference moves to the row).
pub fn insert(conn: &Connection, file: &EntryRecord, now: i64) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO file_versions (entry_id, owner_id, sha256, size, mime_type, modified_at,
                                    uploaded_by, source, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        file.id,
        file.owner_id,
        file.sha256,
        file.size,
        file.mime_type,
        file.modified_at,
        file.uploaded_by,
        file.content_source,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A page of a file's versions, newest first, and their number.
pub fn page(
    conn: &Connection,
    entry: i64,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<VersionRecord>, i64)> {
    let total = conn
        .prepare_cached("SELECT COUNT(*) FROM file_versions WHERE entry_id = ?1")?
        .query_row([entry], |r| r.get(0))?;
    let rows = query(
        conn,
        "v.entry_id = ?1 ORDER BY v.id DESC LIMIT ?2 + 0 OFFSET ?3 + 0",
        params![entry, limit, offset],
    )?;
    Ok((rows, total))
}

/// One version of one file.
pub fn get(conn: &Connection, entry: i64, id: i64) -> DbResult<Option<VersionRecord>> {
    Ok(query(conn, "v.id = ?1 AND v.entry_id = ?2", params![id, entry])?
        .into_iter()
        .next())
}

pub fn delete(conn: &Connection, id: i64) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM file_versions WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// A file's versions beyond its newest `keep`, oldest first.
pub fn beyond(conn: &Connection, entry: i64, keep: i64) -> DbResult<Vec<VersionRecord>> {
    query(
        conn,
        "v.entry_id = ?1 AND v.id NOT IN
            (SELECT id FROM file_versions WHERE entry_id = ?1 ORDER BY id DESC LIMIT ?2 + 0)
         ORDER BY v.id",
        params![entry, keep],
    )
}

/// Up to `limit` versions, of any file, that stopped being current before `before`.
pub fn older_than(conn: &Connection, before: i64, limit: i64) -> DbResult<Vec<VersionRecord>> {
    query(
        conn,
        "v.created_at < ?1 ORDER BY v.id LIMIT ?2 + 0",
        params![before, limit],
    )
}

/// One file's versions that stopped being current before `before`.
pub fn expired_of(conn: &Connection, entry: i64, before: i64) -> DbResult<Vec<VersionRecord>> {
    query(
        conn,
        "v.entry_id = ?1 AND v.created_at < ?2 ORDER BY v.id",
        params![entry, before],
    )
}

/// Files that keep more than `keep` versions (after `max_per_file` was lowered).
pub fn crowded(conn: &Connection, keep: i64, limit: i64) -> DbResult<Vec<i64>> {
    let rows = conn
        .prepare_cached(
            "SELECT id FROM entries WHERE version_count > ?1 ORDER BY id LIMIT ?2 + 0",
        )?
        .query_map(params![keep, limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The owner's oldest version, if any (quota pressure drops it first).
pub fn oldest_of(conn: &Connection, owner: i64) -> DbResult<Option<VersionRecord>> {
    Ok(query(conn, "v.owner_id = ?1 ORDER BY v.id LIMIT 1", [owner])?
        .into_iter()
        .next())
}

/// Bytes the owner's versions hold (room an upload may reclaim).
pub fn owner_bytes(conn: &Connection, owner: i64) -> DbResult<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM file_versions WHERE owner_id = ?1")?
        .query_row([owner], |r| r.get(0))?)
}

/// Deletes the versions of every entry of a trashed subtree (purge); returns their
/// blob hashes (with repeats) and bytes.
pub fn delete_in_trash(conn: &Connection, root: i64) -> DbResult<(Vec<BlobId>, i64)> {
    delete_where(
        conn,
        "entry_id IN (SELECT id FROM entries WHERE trash_root = ?1)",
        root,
    )
}

/// Deletes every version of an owner (deleting a user); returns hashes and bytes.
pub fn delete_owner(conn: &Connection, owner: i64) -> DbResult<(Vec<BlobId>, i64)> {
    delete_where(conn, "owner_id = ?1", owner)
}

fn delete_where(conn: &Connection, filter: &str, arg: i64) -> DbResult<(Vec<BlobId>, i64)> {
    let rows: Vec<(BlobId, i64)> = conn
        .prepare_cached(&format!("SELECT sha256, size FROM file_versions WHERE {filter}"))?
        .query_map([arg], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached(&format!("DELETE FROM file_versions WHERE {filter}"))?
        .execute([arg])?;
    let bytes = rows.iter().map(|(_, size)| size).sum();
    Ok((rows.into_iter().map(|(sha, _)| sha).collect(), bytes))
}

/// (versions, bytes) over the whole instance.
pub fn totals(conn: &Connection) -> DbResult<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM file_versions",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
