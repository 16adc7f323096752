//! Avatar images (already re-encoded PNG bytes).

use rusqlite::{params, Connection, OptionalExtension};

use super::DbResult;

pub fn upsert(conn: &Connection, user_id: i64, png: &[u8], now: i64) -> DbResult<()> {
    conn.execute(
        "INSERT INTO avatars (user_id, image, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET image = excluded.image, updated_at = excluded.updated_at",
        params![user_id, png, now],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, user_id: i64) -> DbResult<Option<(Vec<u8>, i64)>> {
    Ok(conn
        .query_row(
            "SELECT image, updated_at FROM avatars WHERE user_id = ?1",
            [user_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

pub fn delete(conn: &Connection, user_id: i64) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM avatars WHERE user_id = ?1", [user_id])? > 0)
}
