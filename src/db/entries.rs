//! The `entries` table: each user's files and folders, live or in the trash.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::DbResult;
use crate::ids::BlobId;

#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    pub id: i64,
    pub owner_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub is_folder: bool,
    pub size: i64,
    pub sha256: Option<BlobId>,
    pub mime_type: Option<String>,
    pub created_at: i64,
    /// When the server last changed the entry (content, name or place).
    pub updated_at: i64,
    /// The content's modification time as the client knows it (unix seconds): what the
    /// uploader said (tus `mtime`, WebDAV `X-OC-Mtime`), else the upload time.
    pub modified_at: i64,
    pub trash_root: Option<i64>,
    pub deleted_at: Option<i64>,
    pub original_parent_id: Option<i64>,
    pub original_path: Option<String>,
    /// How many versions (earlier contents) the file keeps (SPEC §13).
    pub version_count: i64,
    /// Who wrote the current content and through which door (None: not recorded).
    pub uploaded_by: Option<i64>,
    pub content_source: Option<String>,
}

pub(super) const COLUMNS: &str =
    "id, owner_id, parent_id, name, kind = 'folder', size, sha256, mime_type,
    created_at, updated_at, trash_root, deleted_at, original_parent_id, original_path, modified_at,
    version_count, uploaded_by, content_source";

pub(super) fn from_row(row: &Row) -> rusqlite::Result<EntryRecord> {
    Ok(EntryRecord {
        id: row.get(0)?,
        owner_id: row.get(1)?,
        parent_id: row.get(2)?,
        name: row.get(3)?,
        is_folder: row.get(4)?,
        size: row.get(5)?,
        sha256: row.get(6)?,
        mime_type: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        trash_root: row.get(10)?,
        deleted_at: row.get(11)?,
        original_parent_id: row.get(12)?,
        original_path: row.get(13)?,
        modified_at: row.get(14)?,
        version_count: row.get(15)?,
        uploaded_by: row.get(16)?,
        content_source: row.get(17)?,
    })
}

/// A file's content, new or replacing the old.
pub struct FileContent<'a> {
    pub size: i64,
    pub sha256: &'a BlobId,
    pub mime_type: &'a str,
    /// The content's modification time (unix seconds).
    pub modified_at: i64,
    /// Who wrote it and through which door (a copy keeps its source's).
    pub uploaded_by: Option<i64>,
    pub source: Option<&'a str>,
}

pub fn insert_file(
    conn: &Connection,
    owner: i64,
    parent: Option<i64>,
    name: &str,
    content: &FileContent,
    now: i64,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at,
                              modified_at, uploaded_by, content_source)
         VALUES (?1, ?2, ?3, 'file', ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        owner,
        parent,
        name,
        content.size,
        content.sha256,
        content.mime_type,
        now,
        content.modified_at,
        content.uploaded_by,
        content.source
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A new folder created at `now` whose `modified_at` is `modified_at` (a copy keeps its
/// source's; a new folder passes `now`).
pub fn insert_folder(
    conn: &Connection,
    owner: i64,
    parent: Option<i64>,
    name: &str,
    now: i64,
    modified_at: i64,
) -> DbResult<i64> {
    conn.prepare_cached(
        "INSERT INTO entries (owner_id, parent_id, name, kind, created_at, updated_at, modified_at)
         VALUES (?1, ?2, ?3, 'folder', ?4, ?4, ?5)",
    )?
    .execute(params![owner, parent, name, now, modified_at])?;
    Ok(conn.last_insert_rowid())
}

/// Replaces a file's content in place (same id).
pub fn replace_content(
    conn: &Connection,
    id: i64,
    content: &FileContent,
    now: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE entries SET size = ?2, sha256 = ?3, mime_type = ?4, updated_at = ?5, modified_at = ?6,
                uploaded_by = ?7, content_source = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        content.size,
        content.sha256,
        content.mime_type,
        now,
        content.modified_at,
        content.uploaded_by,
        content.source
    ])?;
    Ok(())
}

/// Sets the `modified_at` of one live entry of this owner; false when there is none.
pub fn set_modified(conn: &Connection, owner: i64, id: i64, modified_at: i64) -> DbResult<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE entries SET modified_at = ?3 WHERE id = ?1 AND owner_id = ?2 AND trash_root IS NULL",
        )?
        .execute(params![id, owner, modified_at])?
        > 0)
}

/// One live entry of this owner.
pub fn live(conn: &Connection, owner: i64, id: i64) -> DbResult<Option<EntryRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM entries WHERE id = ?1 AND owner_id = ?2 AND trash_root IS NULL"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id, owner], from_row)
        .optional()?)
}

/// One live entry of any owner (for signed links).
pub fn live_any(conn: &Connection, id: i64) -> DbResult<Option<EntryRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE id = ?1 AND trash_root IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// The live child `name` of `parent` (None: the root).
pub fn child(
    conn: &Connection,
    owner: i64,
    parent: Option<i64>,
    name: &str,
) -> DbResult<Option<EntryRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM entries
         WHERE owner_id = ?1 AND parent_id IS ?2 AND name = ?3 AND trash_root IS NULL"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![owner, parent, name], from_row)
        .optional()?)
}

/// How a listing is ordered; folders always come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Size,
    CreatedAt,
    UpdatedAt,
    ModifiedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Listing {
    pub sort: SortKey,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

impl Listing {
    fn order_by(&self) -> String {
        let column = match self.sort {
            SortKey::Name => "name COLLATE NOCASE",
            SortKey::Size => "size",
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
            SortKey::ModifiedAt => "modified_at",
        };
        let direction = if self.descending { "DESC" } else { "ASC" };
        format!("kind DESC, {column} {direction}, name {direction}, id {direction}")
    }
}

/// The owner's tree version: it changes with every insert, update or delete of one of
/// their entries (triggers of migration 0006).
pub fn tree_version(conn: &Connection, owner: i64) -> DbResult<i64> {
    Ok(conn
        .prepare_cached("SELECT tree_version FROM users WHERE id = ?1")?
        .query_row([owner], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The live children of `?2` (NULL: the root) owned by `?1`.
const CHILDREN: &str = "owner_id = ?1 AND parent_id IS ?2 AND trash_root IS NULL";

/// A page of a folder's live children.
pub fn children(
    conn: &Connection,
    owner: i64,
    parent: Option<i64>,
    listing: &Listing,
) -> DbResult<(Vec<EntryRecord>, i64)> {
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM entries WHERE {CHILDREN}"))?
        .query_row(params![owner, parent], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&children_sql(listing))?
        .query_map(
            params![owner, parent, listing.limit, listing.offset],
            from_row,
        )?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// The page query of `children`. `LIMIT ?3 + 0`, not `LIMIT ?3`: SQLite plans with the
/// value of a bare LIMIT parameter, so it re-prepares (parses and plans again) a cached
/// statement every time one is bound — 40 % of a 100-entry listing's CPU. Every paged
/// query in `db` writes its LIMIT and OFFSET this way.
pub fn children_sql(listing: &Listing) -> String {
    format!(
        "SELECT {COLUMNS} FROM entries WHERE {CHILDREN} ORDER BY {} LIMIT ?3 + 0 OFFSET ?4 + 0",
        listing.order_by()
    )
}

/// Live entries below `under` (everywhere when None) whose name contains `query`, ignoring
/// case in any script (`É`/`é`, `Σ`/`σ`; SQLite's `LIKE` folds ASCII only). Names are
/// matched in Rust, then the page of matches is read in the listing's order.
pub fn search(
    conn: &Connection,
    owner: i64,
    under: Option<i64>,
    query: &str,
    listing: &Listing,
) -> DbResult<(Vec<EntryRecord>, i64)> {
    let needle = query.to_lowercase();
    let mut matches = Vec::new();
    let mut scope = conn.prepare_cached(
        "WITH RECURSIVE scope(id) AS (
            SELECT id FROM entries WHERE owner_id = ?1 AND parent_id IS ?2 AND trash_root IS NULL
            UNION ALL
            SELECT e.id FROM entries e JOIN scope s ON e.parent_id = s.id WHERE e.trash_root IS NULL)
         SELECT id, name FROM entries WHERE id IN scope",
    )?;
    let mut rows = scope.query(params![owner, under])?;
    while let Some(row) = rows.next()? {
        let name = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        if name.to_lowercase().contains(&needle) {
            matches.push(row.get::<_, i64>(0)?);
        }
    }
    let total = matches.len() as i64;
    let ids = format!(
        "[{}]",
        matches
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM entries WHERE id IN (SELECT value FROM json_each(?1))
         ORDER BY {} LIMIT ?2 + 0 OFFSET ?3 + 0",
        listing.order_by()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params![ids, listing.limit, listing.offset], from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// `/a/b/c` for an entry, following parents (and, for a trashed top entry, nothing more).
pub fn path_of(conn: &Connection, id: i64) -> DbResult<String> {
    let names: Vec<String> = conn
        .prepare_cached(
            "WITH RECURSIVE up(id, parent_id, name, depth) AS (
                SELECT id, parent_id, name, 0 FROM entries WHERE id = ?1
                UNION ALL
                SELECT e.id, e.parent_id, e.name, up.depth + 1 FROM entries e JOIN up ON e.id = up.parent_id)
             SELECT name FROM up ORDER BY depth DESC",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(format!("/{}", names.join("/")))
}

/// Whether `candidate` is `ancestor` or lies below it.
pub fn is_within(conn: &Connection, ancestor: i64, candidate: i64) -> DbResult<bool> {
    Ok(conn
        .prepare_cached(
            "WITH RECURSIVE up(id, parent_id) AS (
                SELECT id, parent_id FROM entries WHERE id = ?2
                UNION ALL
                SELECT e.id, e.parent_id FROM entries e JOIN up ON e.id = up.parent_id)
             SELECT 1 FROM up WHERE id = ?1",
        )?
        .query_row([ancestor, candidate], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every live child of a folder, unordered.
pub fn live_children(conn: &Connection, parent: i64) -> DbResult<Vec<EntryRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM entries WHERE parent_id = ?1 AND trash_root IS NULL");
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([parent], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// One entry of a folder archive.
pub struct ArchiveRow {
    /// Path relative to the folder's parent (so it starts with the folder's name).
    pub path: String,
    pub is_folder: bool,
    pub size: i64,
    pub sha256: Option<BlobId>,
    pub modified_at: i64,
    /// The object holding the content, when it is in an object store.
    pub object_key: Option<String>,
}

/// A live folder's subtree for an archive, parents before children.
pub fn subtree_paths(conn: &Connection, root: i64) -> DbResult<Vec<ArchiveRow>> {
    let rows = conn
        .prepare_cached(
            "WITH RECURSIVE down(id, rel, depth) AS (
                SELECT id, name, 0 FROM entries WHERE id = ?1
                UNION ALL
                SELECT e.id, down.rel || '/' || e.name, down.depth + 1
                FROM entries e JOIN down ON e.parent_id = down.id WHERE e.trash_root IS NULL)
             SELECT down.rel, e.kind = 'folder', e.size, e.sha256, e.modified_at, b.object_key
             FROM down JOIN entries e ON e.id = down.id
             LEFT JOIN blobs b ON b.sha256 = e.sha256
             ORDER BY down.depth, down.rel",
        )?
        .query_map([root], |r| {
            Ok(ArchiveRow {
                path: r.get(0)?,
                is_folder: r.get(1)?,
                size: r.get(2)?,
                sha256: r.get(3)?,
                modified_at: r.get(4)?,
                object_key: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// An entry and everything below it (the entry first).
pub fn subtree(conn: &Connection, root: i64) -> DbResult<Vec<EntryRecord>> {
    let sql = format!(
        "WITH RECURSIVE down(id) AS (
            SELECT ?1 UNION ALL SELECT e.id FROM entries e JOIN down d ON e.parent_id = d.id)
         SELECT {COLUMNS} FROM entries WHERE id IN down ORDER BY id"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map([root], from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn rename_move(
    conn: &Connection,
    id: i64,
    parent: Option<i64>,
    name: &str,
    now: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "UPDATE entries SET parent_id = ?2, name = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, parent, name, now])?;
    Ok(())
}

/// Every blob hash an owner's entries use (with repeats), for deleting the owner.
pub fn owner_hashes(conn: &Connection, owner: i64) -> DbResult<Vec<BlobId>> {
    let rows = conn
        .prepare_cached("SELECT sha256 FROM entries WHERE owner_id = ?1 AND sha256 IS NOT NULL")?
        .query_map([owner], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Deletes every entry of an owner, live and trashed (deleting a user).
pub fn delete_owner(conn: &Connection, owner: i64) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM entries WHERE owner_id = ?1")?
        .execute([owner])?;
    Ok(())
}

/// Logical bytes of an owner's files, trash and versions included.
pub fn owner_usage(conn: &Connection, owner: i64) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT (SELECT COALESCE(SUM(size), 0) FROM entries WHERE owner_id = ?1)
              + (SELECT COALESCE(SUM(size), 0) FROM file_versions WHERE owner_id = ?1)",
        [owner],
        |r| r.get(0),
    )?)
}

/// (files, folders, logical bytes) over the whole instance.
pub fn totals(conn: &Connection) -> DbResult<(i64, i64, i64)> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE kind = 'file'), COUNT(*) FILTER (WHERE kind = 'folder'),
                COALESCE(SUM(size), 0) FROM entries",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}
