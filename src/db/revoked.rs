//! The `revoked_tokens` blacklist of access-token ids.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

pub fn insert(conn: &Connection, jti: &str, expires_at: i64) -> DbResult<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)")?
        .execute(params![jti, expires_at])?;
    Ok(())
}

pub fn contains(conn: &Connection, jti: &str) -> DbResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM revoked_tokens WHERE jti = ?1")?
        .query_row([jti], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn count(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM revoked_tokens", [], |row| row.get(0))?)
}

/// Removes entries whose token has expired anyway (kept a little past `exp` so a clock
/// step back cannot revive a revoked token).
pub fn purge(conn: &Connection, before: i64) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM revoked_tokens WHERE expires_at <= ?1",
        [before],
    )?)
}
