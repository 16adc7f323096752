//! The `blobs` table: one row per stored content, with its reference count.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;
use crate::ids::BlobId;

/// Counts one more entry using this content, creating the row on first use.
pub fn acquire(conn: &Connection, sha256: &BlobId, size: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO blobs (sha256, size, refs, created_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (sha256) DO UPDATE SET refs = refs + 1",
    )?
    .execute(params![sha256, size, now])?;
    Ok(())
}

/// Counts one entry fewer; deletes the row at zero and returns true then (the caller
/// removes the file after commit).
pub fn release(conn: &Connection, sha256: &BlobId) -> DbResult<bool> {
    conn.prepare_cached("UPDATE blobs SET refs = refs - 1 WHERE sha256 = ?1")?
        .execute([sha256])?;
    let removed = conn
        .prepare_cached("DELETE FROM blobs WHERE sha256 = ?1 AND refs <= 0")?
        .execute([sha256])?;
    Ok(removed > 0)
}

pub fn exists(conn: &Connection, sha256: &BlobId) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every blob row as (sha256, size, refs) — for `hoard check`.
pub fn all(conn: &Connection) -> DbResult<Vec<(BlobId, i64, i64)>> {
    let rows = conn
        .prepare("SELECT sha256, size, refs FROM blobs ORDER BY sha256")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Bytes actually stored.
pub fn stored_bytes(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT COALESCE(SUM(size), 0) FROM blobs", [], |r| r.get(0))?)
}

/// How many entries and versions really use each hash, to check `refs` against.
pub fn actual_refs(conn: &Connection) -> DbResult<Vec<(BlobId, i64)>> {
    let rows = conn
        .prepare(
            "SELECT sha256, COUNT(*) FROM (
                SELECT sha256 FROM entries WHERE sha256 IS NOT NULL
                UNION ALL SELECT sha256 FROM file_versions)
             GROUP BY sha256",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Sets a blob's `refs` to the number of entries and versions that really use it,
/// deleting the row when none does (`hoard check --repair`; inside a write transaction).
pub fn recount(conn: &Connection, sha256: &BlobId) -> DbResult<()> {
    let actual: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM entries WHERE sha256 = ?1)
              + (SELECT COUNT(*) FROM file_versions WHERE sha256 = ?1)",
        [sha256],
        |r| r.get(0),
    )?;
    if actual == 0 {
        conn.execute("DELETE FROM blobs WHERE sha256 = ?1", [sha256])?;
        Ok(())
    } else {
        set_refs(conn, sha256, actual)
    }
}

pub fn set_refs(conn: &Connection, sha256: &BlobId, refs: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE blobs SET refs = ?2 WHERE sha256 = ?1",
        params![sha256, refs],
    )?;
    Ok(())
}
