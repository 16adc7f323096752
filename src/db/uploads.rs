//! The `uploads` table: resumable (tus) uploads and how far each has come.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::DbResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    Pending,
    Uploading,
    Completed,
    Failed,
}

impl UploadStatus {
    fn parse(text: &str) -> Self {
        match text {
            "pending" => Self::Pending,
            "uploading" => Self::Uploading,
            "completed" => Self::Completed,
            _ => Self::Failed,
        }
    }

    /// Still taking bytes.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Uploading)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UploadRecord {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub on_conflict: String,
    pub size: i64,
    pub received: i64,
    pub metadata: String,
    pub status: UploadStatus,
    pub error: Option<String>,
    pub file_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    /// The `modified_at` its file gets (`mtime` metadata); `None`: the commit's time.
    pub modified_at: Option<i64>,
}

/// What a new upload is.
pub struct NewUpload<'a> {
    pub owner_id: i64,
    pub name: &'a str,
    pub parent_id: Option<i64>,
    pub on_conflict: &'a str,
    pub size: i64,
    pub metadata: &'a str,
    pub expires_at: i64,
    pub modified_at: Option<i64>,
}

const COLUMNS: &str = "id, owner_id, name, parent_id, on_conflict, size, received, metadata,
    status, error, file_id, created_at, updated_at, expires_at, modified_at";

fn from_row(row: &Row) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        name: row.get(2)?,
        parent_id: row.get(3)?,
        on_conflict: row.get(4)?,
        size: row.get(5)?,
        received: row.get(6)?,
        metadata: row.get(7)?,
        status: UploadStatus::parse(&row.get::<_, String>(8)?),
        error: row.get(9)?,
        file_id: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        expires_at: row.get(13)?,
        modified_at: row.get(14)?,
    })
}

pub fn insert(conn: &Connection, new: &NewUpload, now: i64) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO uploads (owner_id, name, parent_id, on_conflict, size, metadata,
             created_at, updated_at, expires_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
    )?
    .execute(params![
        new.owner_id,
        new.name,
        new.parent_id,
        new.on_conflict,
        new.size,
        new.metadata,
        now,
        new.expires_at,
        new.modified_at
    ])?;
    Ok(conn.last_insert_rowid())
}

/// One upload of `owner` (another user's is `None`, like a missing one).
pub fn get(conn: &Connection, owner: i64, id: i64) -> DbResult<Option<UploadRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM uploads WHERE id = ?1 AND owner_id = ?2"
        ))?
        .query_row(params![id, owner], from_row)
        .optional()?)
}

/// A page of `owner`'s uploads, newest first, optionally only `ids`; with the total.
pub fn list(
    conn: &Connection,
    owner: i64,
    ids: Option<&[i64]>,
    limit: i64,
    offset: i64,
) -> DbResult<(Vec<UploadRecord>, i64)> {
    let ids_json = ids.map(|ids| serde_json::Value::from(ids.to_vec()).to_string());
    let filter = "owner_id = ?1 AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))";
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM uploads WHERE {filter}"))?
        .query_row(params![owner, ids_json], |r| r.get(0))?;
    let items = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM uploads WHERE {filter} ORDER BY id DESC LIMIT ?3 + 0 OFFSET ?4 + 0"
        ))?
        .query_map(params![owner, ids_json, limit, offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((items, total))
}

/// Bytes `owner` has promised in unfinished uploads and not yet sent: a reservation
/// against the quota, so ten parallel uploads cannot each count the same free space.
pub fn reserved(conn: &Connection, owner: i64) -> DbResult<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(size), 0) FROM uploads
             WHERE owner_id = ?1 AND status IN ('pending', 'uploading')",
        )?
        .query_row([owner], |r| r.get(0))?)
}

/// Records bytes safely on disk up to `received`, and pushes the expiry out.
pub fn advance(
    conn: &Connection,
    id: i64,
    received: i64,
    now: i64,
    expires_at: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE uploads SET received = ?2, status = 'uploading', updated_at = ?3, expires_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, received, now, expires_at])?;
    Ok(())
}

pub fn complete(conn: &Connection, id: i64, file_id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE uploads SET status = 'completed', file_id = ?2, error = NULL, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, file_id, now])?;
    Ok(())
}

/// Marks an upload failed with an error code; only one still open changes.
pub fn fail(conn: &Connection, id: i64, error: &str, now: i64) -> DbResult<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE uploads SET status = 'failed', error = ?2, updated_at = ?3
             WHERE id = ?1 AND status IN ('pending', 'uploading')",
        )?
        .execute(params![id, error, now])?
        > 0)
}

pub fn delete(conn: &Connection, id: i64) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM uploads WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Open uploads whose time is up.
pub fn expired(conn: &Connection, now: i64) -> DbResult<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM uploads WHERE status IN ('pending', 'uploading') AND expires_at <= ?1",
        )?
        .query_map([now], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Ids of every open upload (their bytes must stay on disk).
pub fn open_ids(conn: &Connection) -> DbResult<Vec<i64>> {
    let ids = conn
        .prepare_cached("SELECT id FROM uploads WHERE status IN ('pending', 'uploading')")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Forgets finished or failed uploads last touched before `before`.
pub fn purge_closed(conn: &Connection, before: i64) -> DbResult<usize> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM uploads WHERE status IN ('completed', 'failed') AND updated_at < ?1",
        )?
        .execute([before])?)
}
