//! The trash: deleted subtrees keep counting toward the quota until purged; restore puts
//! them back where they were (or at the root), auto-renamed on a clash.

use rusqlite::Connection;

use super::names::FileName;
use super::namespace::free_name;
use super::{release_all, Drive, DriveError, DriveResult, Entry};
use crate::db::entries::{self, EntryRecord};
use crate::db::{self, now};
use crate::store::BlobId;

impl Drive {
    /// The owner's trashed items (top entries), newest first.
    pub async fn trash(
        &self,
        owner: i64,
        limit: i64,
        offset: i64,
    ) -> DriveResult<(Vec<EntryRecord>, i64)> {
        Ok(self
            .db
            .run(move |conn| entries::trash_items(conn, owner, limit, offset))
            .await?)
    }

    pub async fn restore(&self, owner: i64, id: i64) -> DriveResult<Entry> {
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                let item = entries::trash_item(tx, owner, id)?.ok_or(DriveError::NotFound)?;
                let parent = item
                    .original_parent_id
                    .filter(|p| is_live_folder(tx, owner, *p));
                let wanted = FileName::parse(&item.name)?;
                let name = if entries::child(tx, owner, parent, wanted.as_str())?.is_some() {
                    free_name(tx, owner, parent, &wanted)?
                } else {
                    wanted
                };
                entries::restore(tx, id, parent, name.as_str(), now())?;
                let record = entries::live(tx, owner, id)?.ok_or(DriveError::NotFound)?;
                Ok(Entry {
                    path: entries::path_of(tx, id)?,
                    record,
                })
            })
            .await
    }

    /// Deletes one trashed item for good.
    pub async fn purge(&self, owner: i64, id: i64) -> DriveResult<()> {
        let freed = self
            .db
            .write(move |tx| -> DriveResult<Vec<BlobId>> {
                entries::trash_item(tx, owner, id)?.ok_or(DriveError::NotFound)?;
                purge_item(tx, owner, id)
            })
            .await?;
        self.reap(freed).await;
        Ok(())
    }

    /// Empties the owner's trash.
    pub async fn empty_trash(&self, owner: i64) -> DriveResult<()> {
        let freed = self
            .db
            .write(move |tx| -> DriveResult<Vec<BlobId>> {
                let (items, _) = entries::trash_items(tx, owner, i64::MAX, 0)?;
                let mut freed = Vec::new();
                for item in items {
                    freed.extend(purge_item(tx, owner, item.id)?);
                }
                Ok(freed)
            })
            .await?;
        self.reap(freed).await;
        Ok(())
    }

    /// Purges items trashed more than `storage.trash_days` ago, for every user.
    pub async fn purge_expired_trash(&self) -> DriveResult<usize> {
        let before = now() - i64::from(self.trash_days) * 86_400;
        let expired = self
            .db
            .run(move |conn| entries::expired_trash(conn, before))
            .await?;
        let count = expired.len();
        for (owner, id) in expired {
            self.purge(owner, id).await?;
        }
        Ok(count)
    }
}

/// Deletes a trashed subtree's rows, gives its bytes back to the owner, and releases its
/// blobs; returns the hashes now unreferenced.
fn purge_item(tx: &Connection, owner: i64, id: i64) -> DriveResult<Vec<BlobId>> {
    let size: i64 = entries::subtree(tx, id)?.iter().map(|e| e.size).sum();
    let hashes = entries::purge(tx, id)?;
    db::users::add_usage(tx, owner, -size)?;
    Ok(release_all(tx, hashes)?)
}

fn is_live_folder(conn: &Connection, owner: i64, id: i64) -> bool {
    matches!(
        entries::live(conn, owner, id),
        Ok(Some(EntryRecord {
            is_folder: true,
            ..
        }))
    )
}
