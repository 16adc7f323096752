//! Where each blob is kept (SPEC §14), for the maintenance commands: `hoard check` reads
//! every row with its place and every object intent; `hoard migrate-blobs` walks the rows
//! of one store in pages and moves a row to the other store only once its copy is there.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;
use crate::ids::BlobId;

/// One blob row and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub sha256: BlobId,
    pub size: i64,
    /// None: the local store (`blobs/`); Some: the object at that key.
    pub object_key: Option<String>,
}

fn placed(row: &rusqlite::Row<'_>) -> rusqlite::Result<Placed> {
    Ok(Placed {
        sha256: row.get(0)?,
        size: row.get(1)?,
        object_key: row.get(2)?,
    })
}

/// Every blob row with its place, by hash.
pub fn all(conn: &Connection) -> DbResult<Vec<Placed>> {
    let rows = conn
        .prepare("SELECT sha256, size, object_key FROM blobs ORDER BY sha256")?
        .query_map([], placed)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Up to `limit` rows after `after` (by hash) that are in the object store (`remote`) or
/// in the local store: one page of a migration's walk.
pub fn page(
    conn: &Connection,
    remote: bool,
    after: Option<&BlobId>,
    limit: i64,
) -> DbResult<Vec<Placed>> {
    let sql = if remote {
        "SELECT sha256, size, object_key FROM blobs
         WHERE object_key IS NOT NULL AND sha256 > ?1 ORDER BY sha256 LIMIT ?2"
    } else {
        "SELECT sha256, size, object_key FROM blobs
         WHERE object_key IS NULL AND sha256 > ?1 ORDER BY sha256 LIMIT ?2"
    };
    let after = after.map_or("", BlobId::as_str);
    let rows = conn
        .prepare_cached(sql)?
        .query_map(params![after, limit], placed)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// (rows, bytes) in the object store (`remote`) or in the local store.
pub fn tally(conn: &Connection, remote: bool) -> DbResult<(u64, u64)> {
    let sql = if remote {
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE object_key IS NOT NULL"
    } else {
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE object_key IS NULL"
    };
    Ok(conn.query_row(sql, [], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
    })?)
}

/// Whether anything names the object store: a row with a key, or an intent.
pub fn uses_objects(conn: &Connection) -> DbResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM blobs WHERE object_key IS NOT NULL)
             OR EXISTS (SELECT 1 FROM object_intents)",
        [],
        |r| r.get(0),
    )?)
}

/// Moves a local blob to the object at `key`, if it is still local. Returns whether it
/// moved.
pub fn to_object(conn: &Connection, sha256: &BlobId, key: &str) -> DbResult<bool> {
    let moved = conn
        .prepare_cached(
            "UPDATE blobs SET object_key = ?2 WHERE sha256 = ?1 AND object_key IS NULL",
        )?
        .execute(params![sha256, key])?;
    Ok(moved > 0)
}

/// Moves a blob held by the object `key` to the local store, if that object still holds
/// it. An UPDATE, not a delete: the release trigger does not name the object for deletion.
pub fn to_local(conn: &Connection, sha256: &BlobId, key: &str) -> DbResult<bool> {
    let moved = conn
        .prepare_cached("UPDATE blobs SET object_key = NULL WHERE sha256 = ?1 AND object_key = ?2")?
        .execute(params![sha256, key])?;
    Ok(moved > 0)
}

/// Every object intent as (key, created_at); created_at 0 is a released blob's object.
pub fn intents(conn: &Connection) -> DbResult<Vec<(String, i64)>> {
    let rows = conn
        .prepare("SELECT key, created_at FROM object_intents ORDER BY key")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Whether a blob row names the object `key` (such an object is never deleted).
pub fn named(conn: &Connection, key: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE object_key = ?1")?
        .query_row([key], |_| Ok(()))
        .optional()?
        .is_some())
}

/// When the intent for `key` was recorded; None when there is none.
pub fn intended_at(conn: &Connection, key: &str) -> DbResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT created_at FROM object_intents WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_moves_between_stores_only_from_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("hoard.db")).unwrap();
        let conn = db.connection().unwrap();
        let (a, b) = (
            BlobId::parse(&"a".repeat(64)).unwrap(),
            BlobId::parse(&"b".repeat(64)).unwrap(),
        );
        crate::db::blobs::acquire(&conn, &a, 3, 1).unwrap();
        crate::db::blobs::acquire(&conn, &b, 5, 1).unwrap();
        assert_eq!(tally(&conn, false).unwrap(), (2, 8));
        assert!(!uses_objects(&conn).unwrap());
        assert!(to_object(&conn, &a, "objects/one").unwrap());
        assert!(
            !to_object(&conn, &a, "objects/two").unwrap(),
            "already moved"
        );
        assert!(named(&conn, "objects/one").unwrap());
        assert!(uses_objects(&conn).unwrap());
        assert_eq!(tally(&conn, true).unwrap(), (1, 3));
        let local = page(&conn, false, None, 10).unwrap();
        assert_eq!(local.len(), 1);
        assert_eq!(local[0].sha256, b);
        assert_eq!(page(&conn, false, Some(&b), 10).unwrap(), vec![]);
        let remote = page(&conn, true, None, 10).unwrap();
        assert_eq!(remote[0].object_key.as_deref(), Some("objects/one"));
        assert!(
            !to_local(&conn, &a, "objects/other").unwrap(),
            "not its key"
        );
        assert!(to_local(&conn, &a, "objects/one").unwrap());
        assert_eq!(intents(&conn).unwrap(), vec![], "an update dooms nothing");
        assert_eq!(all(&conn).unwrap().len(), 2);
        crate::db::objects::intend(&conn, "objects/x", 7).unwrap();
        assert_eq!(intended_at(&conn, "objects/x").unwrap(), Some(7));
        assert_eq!(intended_at(&conn, "objects/y").unwrap(), None);
    }
}
