//! Personal API tokens, stored as the sha256 of their secret.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

#[derive(Debug, Clone)]
pub struct ApiTokenRecord {
    pub id: i64,
    /// None once the owner has been deleted.
    pub user_id: Option<i64>,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, name, created_at, expires_at, last_used_at, revoked_at";

fn from_row(row: &rusqlite::Row) -> rusqlite::Result<ApiTokenRecord> {
    Ok(ApiTokenRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        last_used_at: row.get(5)?,
        revoked_at: row.get(6)?,
    })
}

pub fn insert(
    conn: &Connection,
    user_id: i64,
    name: &str,
    hash: &str,
    now: i64,
    expires_at: Option<i64>,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, name, hash, now, expires_at])?;
    Ok(conn.last_insert_rowid())
}

pub fn by_id(conn: &Connection, id: i64) -> DbResult<Option<ApiTokenRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_hash(conn: &Connection, hash: &str) -> DbResult<Option<ApiTokenRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([hash], from_row)
        .optional()?)
}

/// The user's tokens that are neither revoked nor expired, oldest first.
pub fn live_for_user(
    conn: &Connection,
    user_id: i64,
    now: i64,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<ApiTokenRecord>, i64)> {
    let filter = "user_id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)";
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM api_tokens WHERE {filter}"),
        [user_id, now],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE {filter} ORDER BY id LIMIT ?3 + 0 OFFSET ?4 + 0"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([user_id, now, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Revokes one of the user's live tokens; returns its hash when there was one.
pub fn revoke(conn: &Connection, user_id: i64, id: i64, now: i64) -> DbResult<Option<String>> {
    Ok(conn
        .prepare_cached(
            "UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL
             RETURNING token_hash",
        )?
        .query_row([id, user_id, now], |row| row.get(0))
        .optional()?)
}

pub fn touch(conn: &Connection, id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute([id, now])?;
    Ok(())
}

/// Revokes every token of a user (before the user is deleted).
pub fn revoke_all_for_user(conn: &Connection, user_id: i64, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        [user_id, now],
    )?;
    Ok(())
}

/// Drops rows of tokens that expired, or were revoked, before `before`.
pub fn purge(conn: &Connection, before: i64) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM api_tokens WHERE expires_at <= ?1 OR revoked_at <= ?1",
        [before],
    )?)
}
