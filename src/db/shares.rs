//! The `shares` table, and the read-only views of a shared folder that public share routes
//! need (its subtree with paths relative to the shared folder).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::DbResult;

/// A share row (the password hash never leaves the service layer).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareRecord {
    pub id: i64,
    pub token: String,
    pub owner_id: i64,
    pub entry_id: i64,
    pub password_hash: Option<String>,
    pub password_version: i64,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
    pub downloads: i64,
    pub created_at: i64,
}

/// A share with what its owner sees of the shared entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedShare {
    pub share: ShareRecord,
    pub name: String,
    pub is_folder: bool,
    /// False while the entry is in the trash.
    pub live: bool,
}

/// The settable part of a share.
#[derive(Debug, Clone)]
pub struct ShareSettings {
    pub password_hash: Option<String>,
    pub password_version: i64,
    pub expires_at: Option<i64>,
    pub max_downloads: Option<i64>,
}

const COLUMNS: &str = "s.id, s.token, s.owner_id, s.entry_id, s.password_hash, s.password_version,
    s.expires_at, s.max_downloads, s.downloads, s.created_at";
const OWNED: &str = "e.name, e.kind = 'folder', e.trash_root IS NULL";

fn from_row(row: &Row) -> rusqlite::Result<ShareRecord> {
    Ok(ShareRecord {
        id: row.get(0)?,
        token: row.get(1)?,
        owner_id: row.get(2)?,
        entry_id: row.get(3)?,
        password_hash: row.get(4)?,
        password_version: row.get(5)?,
        expires_at: row.get(6)?,
        max_downloads: row.get(7)?,
        downloads: row.get(8)?,
        created_at: row.get(9)?,
    })
}

fn owned_from_row(row: &Row) -> rusqlite::Result<OwnedShare> {
    Ok(OwnedShare {
        share: from_row(row)?,
        name: row.get(10)?,
        is_folder: row.get(11)?,
        live: row.get(12)?,
    })
}

pub fn insert(
    conn: &Connection,
    token: &str,
    owner: i64,
    entry: i64,
    settings: &ShareSettings,
    now: i64,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO shares (token, owner_id, entry_id, password_hash, password_version,
            expires_at, max_downloads, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        token,
        owner,
        entry,
        settings.password_hash,
        settings.password_version,
        settings.expires_at,
        settings.max_downloads,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// One share of this owner.
pub fn owned(conn: &Connection, owner: i64, id: i64) -> DbResult<Option<OwnedShare>> {
    let sql = format!(
        "SELECT {COLUMNS}, {OWNED} FROM shares s JOIN entries e ON e.id = s.entry_id
         WHERE s.id = ?1 AND s.owner_id = ?2"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id, owner], owned_from_row)
        .optional()?)
}

/// A page of the owner's shares (of one entry when `entry` is given), newest first.
pub fn list_owned(
    conn: &Connection,
    owner: i64,
    entry: Option<i64>,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<OwnedShare>, i64)> {
    let filter = "s.owner_id = ?1 AND (?2 IS NULL OR s.entry_id = ?2)";
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM shares s WHERE {filter}"))?
        .query_row(params![owner, entry], |r| r.get(0))?;
    let sql = format!(
        "SELECT {COLUMNS}, {OWNED} FROM shares s JOIN entries e ON e.id = s.entry_id
         WHERE {filter} ORDER BY s.created_at DESC, s.id DESC LIMIT ?3 + 0 OFFSET ?4 + 0"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![owner, entry, limit, offset], owned_from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub fn update(conn: &Connection, id: i64, settings: &ShareSettings) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE shares SET password_hash = ?2, password_version = ?3, expires_at = ?4,
            max_downloads = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        settings.password_hash,
        settings.password_version,
        settings.expires_at,
        settings.max_downloads
    ])?;
    Ok(())
}

/// Deletes one share of this owner; false when there was none.
pub fn delete_owned(conn: &Connection, owner: i64, id: i64) -> DbResult<bool> {
    let deleted = conn
        .prepare_cached("DELETE FROM shares WHERE id = ?1 AND owner_id = ?2")?
        .execute([id, owner])?;
    Ok(deleted > 0)
}

/// The share a token names, only while its owner is active and its entry is live.
pub fn usable_by_token(conn: &Connection, token: &str) -> DbResult<Option<ShareRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM shares s
         JOIN entries e ON e.id = s.entry_id AND e.trash_root IS NULL
         JOIN users u ON u.id = s.owner_id AND u.is_active = 1
         WHERE s.token = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([token], from_row)
        .optional()?)
}

/// Counts one completed download unless the share is gone or its limit is already reached;
/// false when it was not counted.
pub fn count_download(conn: &Connection, id: i64) -> DbResult<bool> {
    let counted = conn
        .prepare_cached(
            "UPDATE shares SET downloads = downloads + 1
             WHERE id = ?1 AND (max_downloads IS NULL OR downloads < max_downloads)",
        )?
        .execute([id])?;
    Ok(counted > 0)
}

/// One live entry below a shared folder, its path relative to that folder (`/a/b.txt`).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedItem {
    pub path: String,
    pub name: String,
    pub is_folder: bool,
    pub size: i64,
    pub mime_type: Option<String>,
    pub updated_at: i64,
    pub modified_at: i64,
}

/// The live subtree below `root` (not `root` itself) in depth-first path order, at most
/// `limit` rows. Names hold no control characters, so `char(1)` as the sort separator puts
/// every folder right before its contents.
pub fn subtree_items(conn: &Connection, root: i64, limit: i64) -> DbResult<Vec<SharedItem>> {
    let rows = conn
        .prepare_cached(
            "WITH RECURSIVE down(id, rel, sort) AS (
                SELECT id, '/' || name, name FROM entries
                WHERE parent_id = ?1 AND trash_root IS NULL
                UNION ALL
                SELECT e.id, down.rel || '/' || e.name, down.sort || char(1) || e.name
                FROM entries e JOIN down ON e.parent_id = down.id WHERE e.trash_root IS NULL)
             SELECT down.rel, e.name, e.kind = 'folder', e.size, e.mime_type, e.updated_at,
                    e.modified_at
             FROM down JOIN entries e ON e.id = down.id ORDER BY down.sort LIMIT ?2",
        )?
        .query_map([root, limit], |r| {
            Ok(SharedItem {
                path: r.get(0)?,
                name: r.get(1)?,
                is_folder: r.get(2)?,
                size: r.get(3)?,
                mime_type: r.get(4)?,
                updated_at: r.get(5)?,
                modified_at: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// (entries, bytes) of the live subtree below `root`.
pub fn subtree_totals(conn: &Connection, root: i64) -> DbResult<(i64, i64)> {
    Ok(conn
        .prepare_cached(
            "WITH RECURSIVE down(id) AS (
                SELECT id FROM entries WHERE parent_id = ?1 AND trash_root IS NULL
                UNION ALL
                SELECT e.id FROM entries e JOIN down ON e.parent_id = down.id
                WHERE e.trash_root IS NULL)
             SELECT COUNT(*), COALESCE(SUM(e.size), 0) FROM down JOIN entries e ON e.id = down.id",
        )?
        .query_row([root], |r| Ok((r.get(0)?, r.get(1)?)))?)
}
