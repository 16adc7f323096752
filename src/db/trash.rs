//! The trash side of the `entries` table: moving a subtree in and out, listing it, and
//! purging it.

use rusqlite::{params, Connection, OptionalExtension};

use super::entries::{from_row, EntryRecord, COLUMNS};
use super::DbResult;
use crate::ids::BlobId;

/// Moves a subtree to the trash: the top entry is detached and remembers where it was.
pub fn trash(conn: &Connection, root: &EntryRecord, original_path: &str, now: i64) -> DbResult<()> {
    conn.prepare_cached(
        "WITH RECURSIVE down(id) AS (
            SELECT ?1 UNION ALL SELECT e.id FROM entries e JOIN down d ON e.parent_id = d.id)
         UPDATE entries SET trash_root = ?1 WHERE id IN down",
    )?
    .execute([root.id])?;
    conn.prepare_cached(
        "UPDATE entries SET parent_id = NULL, original_parent_id = ?2, deleted_at = ?3, original_path = ?4
         WHERE id = ?1",
    )?
    .execute(params![root.id, root.parent_id, now, original_path])?;
    Ok(())
}

/// Brings a trashed subtree back under `parent` with `name`.
pub fn restore(
    conn: &Connection,
    root: i64,
    parent: Option<i64>,
    name: &str,
    now: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE entries SET parent_id = ?2, name = ?3, updated_at = ?4, deleted_at = NULL,
            original_parent_id = NULL, original_path = NULL WHERE id = ?1",
    )?
    .execute(params![root, parent, name, now])?;
    conn.prepare_cached("UPDATE entries SET trash_root = NULL WHERE trash_root = ?1")?
        .execute([root])?;
    Ok(())
}

/// The owner's trash: the top entries of trashed subtrees, newest first.
pub fn trash_items(
    conn: &Connection,
    owner: i64,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<EntryRecord>, i64)> {
    let filter = "owner_id = ?1 AND trash_root = id";
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM entries WHERE {filter}"),
        [owner],
        |r| r.get(0),
    )?;
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE {filter} ORDER BY deleted_at DESC, id DESC LIMIT ?2 + 0 OFFSET ?3 + 0");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([owner, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// One trashed top entry of this owner.
pub fn trash_item(conn: &Connection, owner: i64, id: i64) -> DbResult<Option<EntryRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM entries WHERE id = ?1 AND owner_id = ?2 AND trash_root = id"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id, owner], from_row)
        .optional()?)
}

/// Top trash entries deleted before `before`, for every owner (auto-purge).
pub fn expired_trash(conn: &Connection, before: i64) -> DbResult<Vec<(i64, i64)>> {
    let rows = conn
        .prepare_cached(
            "SELECT owner_id, id FROM entries WHERE trash_root = id AND deleted_at < ?1",
        )?
        .query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Deletes every row of a trashed subtree; returns the blob hashes its files used (with repeats).
pub fn purge(conn: &Connection, root: i64) -> DbResult<Vec<BlobId>> {
    let hashes = conn
        .prepare_cached("SELECT sha256 FROM entries WHERE trash_root = ?1 AND sha256 IS NOT NULL")?
        .query_map([root], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached("DELETE FROM entries WHERE trash_root = ?1")?
        .execute([root])?;
    Ok(hashes)
}
