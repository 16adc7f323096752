//! Sessions (refresh-token families) and the refresh tokens issued in them.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: i64,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub user_agent: String,
    pub ip: String,
    pub revoked_at: Option<i64>,
}

impl SessionRecord {
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// What presenting a refresh token did.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was unused and is now used: the caller may issue its successor.
    Rotated { session_id: i64, user_id: i64 },
    /// The token had been used before: a replay, the family must die.
    Reused { session_id: i64 },
    /// No such token, or its session is gone, revoked or expired.
    Unknown,
}

const COLUMNS: &str =
    "id, user_id, created_at, last_used_at, expires_at, user_agent, ip, revoked_at";

fn from_row(row: &rusqlite::Row) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id: row.get(0)?,
        user_id: row.get(1)?,
        created_at: row.get(2)?,
        last_used_at: row.get(3)?,
        expires_at: row.get(4)?,
        user_agent: row.get(5)?,
        ip: row.get(6)?,
        revoked_at: row.get(7)?,
    })
}

pub fn insert(
    conn: &Connection,
    user_id: i64,
    now: i64,
    expires_at: i64,
    user_agent: &str,
    ip: &str,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, user_agent, ip)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![user_id, now, expires_at, user_agent, ip])?;
    Ok(conn.last_insert_rowid())
}

pub fn by_id(conn: &Connection, id: i64) -> DbResult<Option<SessionRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// The user's live sessions, newest first.
pub fn live_for_user(conn: &Connection, user_id: i64, now: i64) -> DbResult<Vec<SessionRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 ORDER BY id DESC"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([user_id, now], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Revokes one session; returns whether it was live before.
pub fn revoke(conn: &Connection, id: i64, now: i64) -> DbResult<bool> {
    let changed = conn
        .prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL")?
        .execute([id, now])?;
    Ok(changed > 0)
}

/// Revokes every live session of a user; returns their ids.
pub fn revoke_all_for_user(conn: &Connection, user_id: i64, now: i64) -> DbResult<Vec<i64>> {
    let ids = conn
        .prepare_cached("UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL RETURNING id")?
        .query_map([user_id, now], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Revokes every live session of a user but `keep` (the caller's own, if any).
pub fn revoke_others(
    conn: &Connection,
    user_id: i64,
    keep: Option<i64>,
    now: i64,
) -> DbResult<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "UPDATE sessions SET revoked_at = ?2
             WHERE user_id = ?1 AND revoked_at IS NULL AND id IS NOT ?3 RETURNING id",
        )?
        .query_map(params![user_id, now, keep], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

pub fn insert_refresh(
    conn: &Connection,
    jti: &str,
    session_id: i64,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens (jti, session_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![jti, session_id, now, expires_at])?;
    // Sliding session lifetime: it lives as long as its newest refresh token.
    conn.prepare_cached("UPDATE sessions SET last_used_at = ?2, expires_at = ?3 WHERE id = ?1")?
        .execute([session_id, now, expires_at])?;
    Ok(())
}

/// Marks a refresh token used, atomically: of many concurrent callers exactly one gets
/// `Rotated`. Must run inside a write transaction.
pub fn use_refresh(conn: &Connection, jti: &str, now: i64) -> DbResult<Rotation> {
    let token = conn
        .prepare_cached(
            "SELECT r.session_id, s.user_id, r.used_at, r.expires_at, s.revoked_at, s.expires_at
             FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.jti = ?1",
        )?
        .query_row([jti], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<i64>>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })
        .optional()?;
    let Some((session_id, user_id, used_at, expires_at, revoked_at, session_expires)) = token
    else {
        return Ok(Rotation::Unknown);
    };
    if revoked_at.is_some() || expires_at <= now || session_expires <= now {
        return Ok(Rotation::Unknown);
    }
    if used_at.is_some() {
        return Ok(Rotation::Reused { session_id });
    }
    let changed = conn
        .prepare_cached(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE jti = ?1 AND used_at IS NULL",
        )?
        .execute(params![jti, now])?;
    Ok(if changed == 1 {
        Rotation::Rotated {
            session_id,
            user_id,
        }
    } else {
        Rotation::Reused { session_id }
    })
}

/// Deletes expired refresh tokens and sessions that ended before `before`.
pub fn purge(conn: &Connection, now: i64, before: i64) -> DbResult<usize> {
    let tokens = conn.execute("DELETE FROM refresh_tokens WHERE expires_at <= ?1", [now])?;
    let sessions = conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR (revoked_at IS NOT NULL AND revoked_at <= ?1)",
        [before],
    )?;
    Ok(tokens + sessions)
}
