//! WebDAV dead properties (table `dav_props`), by entry.

use rusqlite::{params, Connection};

use super::DbResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropRow {
    pub entry_id: i64,
    pub ns: String,
    pub name: String,
    pub value: String,
}

/// Every dead property of `owner`'s live entries among `ids`, ordered by entry.
pub fn of_entries(conn: &Connection, owner: i64, ids: &[i64]) -> DbResult<Vec<PropRow>> {
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let mut stmt = conn.prepare_cached(
        "SELECT p.entry_id, p.ns, p.name, p.value FROM dav_props p
           JOIN entries e ON e.id = p.entry_id AND e.owner_id = ?1 AND e.trash_root IS NULL
          WHERE p.entry_id IN (SELECT value FROM json_each(?2)) ORDER BY p.entry_id, p.ns, p.name",
    )?;
    let rows = stmt.query_map(params![owner, ids], |row| {
        Ok(PropRow {
            entry_id: row.get(0)?,
            ns: row.get(1)?,
            name: row.get(2)?,
            value: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn count(conn: &Connection, entry: i64) -> DbResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM dav_props WHERE entry_id = ?1")?
        .query_row([entry], |row| row.get(0))?)
}

pub fn set(conn: &Connection, entry: i64, ns: &str, name: &str, value: &str) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO dav_props (entry_id, ns, name, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (entry_id, ns, name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![entry, ns, name, value])?;
    Ok(())
}

pub fn remove(conn: &Connection, entry: i64, ns: &str, name: &str) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM dav_props WHERE entry_id = ?1 AND ns = ?2 AND name = ?3")?
        .execute(params![entry, ns, name])?;
    Ok(())
}

/// Gives `to` a copy of every dead property of `from` (COPY keeps them, RFC 4918 §9.8.2).
pub fn copy(conn: &Connection, from: i64, to: i64) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO dav_props (entry_id, ns, name, value)
         SELECT ?2, ns, name, value FROM dav_props WHERE entry_id = ?1",
    )?
    .execute(params![from, to])?;
    Ok(())
}
