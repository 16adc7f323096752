//! WebDAV write locks (table `dav_locks`), by user and path.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRow {
    pub token: String,
    pub path: String,
    pub deep: bool,
    pub shared: bool,
    /// The client's `<D:owner>` content, as an XML fragment.
    pub holder: String,
    pub timeout_s: i64,
    pub expires_at: i64,
}

const COLUMNS: &str = "token, path, deep, shared, holder, timeout_s, expires_at";

fn from_row(row: &rusqlite::Row) -> rusqlite::Result<LockRow> {
    Ok(LockRow {
        token: row.get(0)?,
        path: row.get(1)?,
        deep: row.get(2)?,
        shared: row.get(3)?,
        holder: row.get(4)?,
        timeout_s: row.get(5)?,
        expires_at: row.get(6)?,
    })
}

pub fn insert(conn: &Connection, owner: i64, lock: &LockRow, now: i64) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO dav_locks (token, owner_id, path, deep, shared, holder, timeout_s, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        lock.token,
        owner,
        lock.path,
        lock.deep,
        lock.shared,
        lock.holder,
        lock.timeout_s,
        lock.expires_at,
        now
    ])?;
    Ok(())
}

/// Live locks of `owner` that touch `path`: on it, on an ancestor with Depth infinity
/// (`ancestors` lists the ancestors' paths), and, when `below`, on anything under it.
pub fn touching(
    conn: &Connection,
    owner: i64,
    path: &str,
    ancestors: &[String],
    below: bool,
    now: i64,
) -> DbResult<Vec<LockRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dav_locks WHERE owner_id = ?1 AND expires_at > ?2
           AND (path = ?3
                OR (deep = 1 AND path IN (SELECT value FROM json_each(?4)))
                OR (?5 AND substr(path, 1, length(?6)) = ?6))
         ORDER BY created_at, token"
    );
    let ancestors = serde_json::to_string(ancestors).unwrap_or_else(|_| "[]".into());
    let prefix = if path == "/" {
        "/".to_owned()
    } else {
        format!("{path}/")
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![owner, now, path, ancestors, below, prefix],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn by_token(conn: &Connection, owner: i64, token: &str, now: i64) -> DbResult<Option<LockRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dav_locks WHERE owner_id = ?1 AND token = ?2 AND expires_at > ?3"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![owner, token, now], from_row)
        .optional()?)
}

pub fn refresh(conn: &Connection, token: &str, timeout_s: i64, expires_at: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE dav_locks SET timeout_s = ?2, expires_at = ?3 WHERE token = ?1")?
        .execute(params![token, timeout_s, expires_at])?;
    Ok(())
}

pub fn delete(conn: &Connection, owner: i64, token: &str) -> DbResult<bool> {
    let n = conn
        .prepare_cached("DELETE FROM dav_locks WHERE owner_id = ?1 AND token = ?2")?
        .execute(params![owner, token])?;
    Ok(n > 0)
}

/// Removes the locks on `path` and everything under it (the resource is gone or moved).
pub fn delete_tree(conn: &Connection, owner: i64, path: &str) -> DbResult<usize> {
    let prefix = format!("{}/", path.trim_end_matches('/'));
    Ok(conn
        .prepare_cached(
            "DELETE FROM dav_locks WHERE owner_id = ?1
               AND (path = ?2 OR substr(path, 1, length(?3)) = ?3)",
        )?
        .execute(params![owner, path, prefix])?)
}

pub fn delete_expired(conn: &Connection, now: i64) -> DbResult<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM dav_locks WHERE expires_at <= ?1")?
        .execute([now])?)
}
