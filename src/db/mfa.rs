//! Two-step sign-in: `user_totp`, `recovery_codes`, `mfa_challenges`.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

/// An account's TOTP row: the sealed secret, whether it is on, the newest step accepted.
#[derive(Debug, Clone)]
pub struct TotpRecord {
    pub sealed_secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

/// One stored recovery code: its row id and Argon2 hash.
#[derive(Debug, Clone)]
pub struct RecoveryCode {
    pub id: i64,
    pub hash: String,
}

pub fn totp(conn: &Connection, user_id: i64) -> DbResult<Option<TotpRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT secret, enabled_at IS NOT NULL, last_step FROM user_totp WHERE user_id = ?1",
        )?
        .query_row([user_id], |row| {
            Ok(TotpRecord {
                sealed_secret: row.get(0)?,
                enabled: row.get(1)?,
                last_step: row.get(2)?,
            })
        })
        .optional()?)
}

/// Stores a freshly set-up secret, not yet enabled (replacing an unconfirmed one).
pub fn set_pending(conn: &Connection, user_id: i64, sealed: &[u8], now: i64) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO user_totp (user_id, secret, enabled_at, last_step, created_at)
         VALUES (?1, ?2, NULL, 0, ?3)
         ON CONFLICT (user_id) DO UPDATE SET secret = ?2, enabled_at = NULL, last_step = 0,
                                             created_at = ?3",
    )?
    .execute(params![user_id, sealed, now])?;
    Ok(())
}

/// Records `step` as used, if it is newer than every step used before; false means the
/// code was already used (a replay) or an older one.
pub fn use_step(conn: &Connection, user_id: i64, step: i64) -> DbResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE user_totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2",
        )?
        .execute(params![user_id, step])?;
    Ok(changed == 1)
}

pub fn enable(conn: &Connection, user_id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE user_totp SET enabled_at = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, now])?;
    Ok(())
}

/// Turns two-step sign-in off: the secret, the codes and pending second steps go.
pub fn remove(conn: &Connection, user_id: i64) -> DbResult<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM user_totp WHERE user_id = ?1")?
        .execute([user_id])?;
    conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    conn.prepare_cached("DELETE FROM mfa_challenges WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(removed == 1)
}

/// Replaces the account's recovery codes with `codes` (`(lookup, hash)` pairs).
pub fn replace_recovery_codes(
    conn: &Connection,
    user_id: i64,
    codes: &[(String, String)],
) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let mut insert = conn
        .prepare_cached("INSERT INTO recovery_codes (user_id, lookup, hash) VALUES (?1, ?2, ?3)")?;
    for (lookup, hash) in codes {
        insert.execute(params![user_id, lookup, hash])?;
    }
    Ok(())
}

/// The unused codes of an account that start with `lookup`.
pub fn recovery_candidates(
    conn: &Connection,
    user_id: i64,
    lookup: &str,
) -> DbResult<Vec<RecoveryCode>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, hash FROM recovery_codes
             WHERE user_id = ?1 AND lookup = ?2 AND used_at IS NULL",
        )?
        .query_map(params![user_id, lookup], |row| {
            Ok(RecoveryCode {
                id: row.get(0)?,
                hash: row.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Marks a code used; false if it already was (two requests raced with one code).
pub fn use_recovery_code(conn: &Connection, id: i64, now: i64) -> DbResult<bool> {
    let changed = conn
        .prepare_cached("UPDATE recovery_codes SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL")?
        .execute(params![id, now])?;
    Ok(changed == 1)
}

pub fn recovery_codes_left(conn: &Connection, user_id: i64) -> DbResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        )?
        .query_row([user_id], |row| row.get(0))?)
}

pub fn insert_challenge(
    conn: &Connection,
    token_hash: &str,
    user_id: i64,
    expires_at: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO mfa_challenges (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![token_hash, user_id, expires_at])?;
    Ok(())
}

/// A pending second step: its user and expiry, if the token is known and unused.
pub fn challenge(conn: &Connection, token_hash: &str) -> DbResult<Option<(i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT user_id, expires_at FROM mfa_challenges
             WHERE token_hash = ?1 AND used_at IS NULL",
        )?
        .query_row([token_hash], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// Spends a second step; false if another request spent it first.
pub fn use_challenge(conn: &Connection, token_hash: &str, now: i64) -> DbResult<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE mfa_challenges SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL",
        )?
        .execute(params![token_hash, now])?;
    Ok(changed == 1)
}

/// Deletes second steps that expired before `before`.
pub fn purge_challenges(conn: &Connection, before: i64) -> DbResult<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM mfa_challenges WHERE expires_at < ?1")?
        .execute([before])?)
}
