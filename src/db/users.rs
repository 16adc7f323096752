//! The `users` table.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row};

use super::DbResult;

/// A user row, password hash included (it never leaves the service layer).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub bio: String,
    pub role: String,
    pub is_active: bool,
    pub storage_used: i64,
    pub storage_quota: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    /// When the avatar was last set, if there is one (read from `avatars`).
    pub avatar_updated_at: Option<i64>,
    /// Whether two-step sign-in is on (read from `user_totp`).
    pub totp_enabled: bool,
}

impl UserRecord {
    pub fn is_admin(&self) -> bool {
        self.role == ROLE_ADMIN
    }

    /// False for an account made by single sign-on that has not set a password yet.
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD
    }
}

/// The `password_hash` of an account without a password: no password verifies against it.
pub const NO_PASSWORD: &str = "";

pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_USER: &str = "user";

/// What a new account is made of.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub storage_quota: Option<i64>,
}

const COLUMNS: &str = "u.id, u.username, u.email, u.password_hash, u.display_name, u.bio, u.role,
    u.is_active, u.storage_used, u.storage_quota, u.created_at, u.updated_at, u.last_login_at,
    (SELECT a.updated_at FROM avatars a WHERE a.user_id = u.id),
    EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)";

fn from_row(row: &Row) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: row.get(0)?,
        username: row.get(1)?,
        email: row.get(2)?,
        password_hash: row.get(3)?,
        display_name: row.get(4)?,
        bio: row.get(5)?,
        role: row.get(6)?,
        is_active: row.get(7)?,
        storage_used: row.get(8)?,
        storage_quota: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        last_login_at: row.get(12)?,
        avatar_updated_at: row.get(13)?,
        totp_enabled: row.get(14)?,
    })
}

pub fn insert(conn: &Connection, user: &NewUser, now: i64) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO users (username, email, password_hash, display_name, role, storage_quota,
                            created_at, updated_at)
         VALUES (:username, :email, :hash, :display_name, :role, :quota, :now, :now)",
    )?
    .execute(named_params! {
        ":username": user.username, ":email": user.email, ":hash": user.password_hash,
        ":display_name": user.display_name, ":role": user.role, ":quota": user.storage_quota,
        ":now": now,
    })?;
    Ok(conn.last_insert_rowid())
}

pub fn count(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get(0))?)
}

pub fn count_active(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users WHERE is_active = 1",
        [],
        |row| row.get(0),
    )?)
}

/// Active admins other than `except` (for last-admin protection).
pub fn count_other_active_admins(conn: &Connection, except: i64) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = 1 AND id != ?1",
        [except],
        |row| row.get(0),
    )?)
}

pub fn by_id(conn: &Connection, id: i64) -> DbResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// Finds a user by username or email, case-insensitively (a username never holds `@`,
/// so the two cannot name different users).
pub fn by_login(conn: &Connection, login: &str) -> DbResult<Option<UserRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users u
         WHERE u.username = ?1 COLLATE NOCASE OR u.email = ?2"
    );
    // Emails are stored lower-cased (see `Email::parse`).
    let email = login.trim().to_lowercase();
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([login, email.as_str()], from_row)
        .optional()?)
}

pub fn by_username(conn: &Connection, username: &str) -> DbResult<Option<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users u WHERE u.username = ?1 COLLATE NOCASE");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([username], from_row)
        .optional()?)
}

/// A page of users whose username, email or display name contains `query`, oldest first.
pub fn search(
    conn: &Connection,
    query: &str,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<UserRecord>, i64)> {
    let pattern = format!("%{}%", escape_like(query));
    let filter = "u.username LIKE ?1 ESCAPE '\\' OR u.email LIKE ?1 ESCAPE '\\'
                  OR u.display_name LIKE ?1 ESCAPE '\\'";
    let total = conn.query_row(
        &format!("SELECT COUNT(*) FROM users u WHERE {filter}"),
        [&pattern],
        |row| row.get(0),
    )?;
    let sql = format!(
        "SELECT {COLUMNS} FROM users u WHERE {filter} ORDER BY u.id LIMIT ?2 + 0 OFFSET ?3 + 0"
    );
    let items = conn
        .prepare_cached(&sql)?
        .query_map(params![pattern, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// `LIKE` treats `%` and `_` as wildcards; a search for them means the characters.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub fn all(conn: &Connection) -> DbResult<Vec<UserRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM users u ORDER BY u.id");
    let rows = conn
        .prepare(&sql)?
        .query_map([], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn set_last_login(conn: &Connection, id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE users SET last_login_at = ?2 WHERE id = ?1")?
        .execute([id, now])?;
    Ok(())
}

pub fn set_password_hash(conn: &Connection, id: i64, hash: &str, now: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, hash, now],
    )?;
    Ok(())
}

/// The user-editable profile fields, already validated.
pub struct ProfileUpdate {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
}

pub fn update_profile(
    conn: &Connection,
    id: i64,
    profile: &ProfileUpdate,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET username = ?2, email = ?3, display_name = ?4, bio = ?5, updated_at = ?6
         WHERE id = ?1",
        params![
            id,
            profile.username,
            profile.email,
            profile.display_name,
            profile.bio,
            now
        ],
    )?;
    Ok(())
}

/// The admin-controlled fields, already validated.
pub struct AdminUpdate {
    pub role: String,
    pub is_active: bool,
    pub storage_quota: Option<i64>,
}

pub fn update_admin_fields(
    conn: &Connection,
    id: i64,
    update: &AdminUpdate,
    now: i64,
) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET role = ?2, is_active = ?3, storage_quota = ?4, updated_at = ?5 WHERE id = ?1",
        params![id, update.role, update.is_active, update.storage_quota, now],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

/// Adds `delta` (may be negative) to a user's `storage_used`.
pub fn add_usage(conn: &Connection, id: i64, delta: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE users SET storage_used = storage_used + ?2 WHERE id = ?1")?
        .execute([id, delta])?;
    Ok(())
}

/// (storage_used, storage_quota) read inside the caller's transaction.
pub fn usage(conn: &Connection, id: i64) -> DbResult<(i64, Option<i64>)> {
    Ok(conn
        .prepare_cached("SELECT storage_used, storage_quota FROM users WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

pub fn set_usage(conn: &Connection, id: i64, used: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET storage_used = ?2 WHERE id = ?1",
        [id, used],
    )?;
    Ok(())
}
