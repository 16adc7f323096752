//! Object-store keys (SPEC §14): which object holds a blob, and the intents recorded before
//! an object is written, so that an upload that dies leaves nothing the sweeper cannot find.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;
use crate::ids::BlobId;

/// Records that an object is about to be written under `key`.
pub fn intend(conn: &Connection, key: &str, now: i64) -> DbResult<()> {
    conn.prepare_cached("INSERT INTO object_intents (key, created_at) VALUES (?1, ?2)")?
        .execute(params![key, now])?;
    Ok(())
}

/// The object under `key` is accounted for (a blob now, or deleted): forget the intent.
pub fn settle(conn: &Connection, key: &str) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM object_intents WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// Whether the intent of `key` is still recorded (its object is no blob yet).
pub fn pending(conn: &Connection, key: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM object_intents WHERE key = ?1")?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Intents recorded before `before`: uploads that never committed.
pub fn stale(conn: &Connection, before: i64) -> DbResult<Vec<String>> {
    let rows = conn
        .prepare_cached("SELECT key FROM object_intents WHERE created_at < ?1 ORDER BY key")?
        .query_map([before], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Counts one more reference to the content `sha256` written as the object `key`, inside
/// the commit's transaction. Returns the key that now holds the content: `key` for new
/// content (its intent is settled), or the earlier object's key for known content — then
/// `key` is a duplicate whose intent stays until the caller has deleted it after the
/// commit. None when the content is in the local store (a migration between backends).
pub fn acquire(
    conn: &Connection,
    sha256: &BlobId,
    size: i64,
    key: &str,
    now: i64,
) -> DbResult<Option<String>> {
    let held: Option<String> = conn
        .prepare_cached(
            "INSERT INTO blobs (sha256, size, refs, created_at, object_key) VALUES (?1, ?2, 1, ?3, ?4)
             ON CONFLICT (sha256) DO UPDATE SET refs = refs + 1
             RETURNING object_key",
        )?
        .query_row(params![sha256, size, now, key], |r| r.get(0))?;
    if held.as_deref() == Some(key) {
        settle(conn, key)?;
    }
    Ok(held)
}

/// Objects released by deleted blob rows, waiting to be deleted (at most `limit`).
pub fn released(conn: &Connection, limit: i64) -> DbResult<Vec<String>> {
    let rows = conn
        .prepare_cached(
            "SELECT key FROM object_intents WHERE created_at = 0 ORDER BY key LIMIT ?1",
        )?
        .query_map([limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The object holding a blob's content; None for a blob of the local store or no blob.
pub fn key_of(conn: &Connection, sha256: &BlobId) -> DbResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT object_key FROM blobs WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Every object a blob row names, for checking the bucket against the database.
pub fn all_keys(conn: &Connection) -> DbResult<Vec<(String, BlobId, i64)>> {
    let rows = conn
        .prepare("SELECT object_key, sha256, size FROM blobs WHERE object_key IS NOT NULL ORDER BY object_key")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, crate::db::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("hoard.db")).unwrap();
        (dir, db)
    }

    #[test]
    fn the_first_object_of_a_content_holds_it_and_a_duplicate_is_named_for_deletion() {
        let (_dir, db) = db();
        let conn = db.connection().unwrap();
        let sha = BlobId::parse(&"c".repeat(64)).unwrap();
        intend(&conn, "objects/one", 10).unwrap();
        intend(&conn, "objects/two", 11).unwrap();
        let held = acquire(&conn, &sha, 5, "objects/one", 20).unwrap();
        assert_eq!(held.as_deref(), Some("objects/one"));
        // The same content written again: the first object keeps holding it.
        let held = acquire(&conn, &sha, 5, "objects/two", 21).unwrap();
        assert_eq!(held.as_deref(), Some("objects/one"));
        assert_eq!(key_of(&conn, &sha).unwrap().as_deref(), Some("objects/one"));
        let refs: i64 = conn
            .query_row("SELECT refs FROM blobs WHERE sha256 = ?1", [&sha], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(refs, 2);
        // The holder's intent is settled by its commit; the duplicate's stays until it is
        // deleted, and one that never commits goes stale.
        assert_eq!(stale(&conn, 12).unwrap(), ["objects/two"]);
        settle(&conn, "objects/two").unwrap();
        intend(&conn, "objects/three", 30).unwrap();
        assert_eq!(stale(&conn, 31).unwrap(), ["objects/three"]);
        assert_eq!(stale(&conn, 30).unwrap(), Vec::<String>::new());
        assert_eq!(
            all_keys(&conn).unwrap(),
            [("objects/one".to_owned(), sha.clone(), 5)]
        );
        // The last reference released: the row goes, its object is named for deletion.
        assert!(!crate::db::blobs::release(&conn, &sha).unwrap());
        assert!(crate::db::blobs::release(&conn, &sha).unwrap());
        assert_eq!(released(&conn, 10).unwrap(), ["objects/one"]);
        assert_eq!(key_of(&conn, &sha).unwrap(), None);
    }
}
