//! The trash: deleted subtrees keep counting toward the quota until purged; restore puts
//! them back where they were (or at the root), auto-renamed on a clash.

use rusqlite::Connection;

use super::names::FileName;
use super::namespace::free_name;
use super::{release_all, Drive, DriveError, DriveResult, Entry};
use crate::db::entries::{self, EntryRecord};
use crate::db::{self, now};
use crate::ids::{EntryId, UserId};
use crate::store::BlobId;

impl Drive {
    /// The owner's trashed items (top entries), newest first.
    pub async fn trash(
        &self,
        owner: UserId,
        limit: i64,
        offset: i64,
    ) -> DriveResult<(Vec<EntryRecord>, i64)> {
        Ok(self
            .db
            .run(move |conn| db::trash::trash_items(conn, owner.0, limit, offset))
            .await?)
    }

    pub async fn restore(&self, owner: UserId, id: EntryId) -> DriveResult<Entry> {
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                let item = db::trash::trash_item(tx, owner.0, id.0)?.ok_or(DriveError::NotFound)?;
                let parent = item
                    .original_parent_id
                    .map(EntryId)
                    .filter(|p| is_live_folder(tx, owner, *p));
                let wanted = FileName::parse(&item.name)?;
                let raw_parent = EntryId::raw(parent);
                let name = if entries::child(tx, owner.0, raw_parent, wanted.as_str())?.is_some() {
                    free_name(tx, owner, parent, &wanted)?
                } else {
                    wanted
                };
                db::trash::restore(tx, id.0, raw_parent, name.as_str(), now())?;
                let record = entries::live(tx, owner.0, id.0)?.ok_or(DriveError::NotFound)?;
                Ok(Entry {
                    path: entries::path_of(tx, id.0)?,
                    record,
                })
            })
            .await
    }

    /// Deletes one trashed item for good.
    pub async fn purge(&self, owner: UserId, id: EntryId) -> DriveResult<()> {
        let freed = self
            .db
            .write(move |tx| -> DriveResult<Vec<BlobId>> {
                db::trash::trash_item(tx, owner.0, id.0)?.ok_or(DriveError::NotFound)?;
                purge_item(tx, owner, id)
            })
            .await?;
        self.reap(freed).await;
        Ok(())
    }

    /// Empties the owner's trash.
    pub async fn empty_trash(&self, owner: UserId) -> DriveResult<()> {
        let freed = self
            .db
            .write(move |tx| -> DriveResult<Vec<BlobId>> {
                let (items, _) = db::trash::trash_items(tx, owner.0, i64::MAX, 0)?;
                let mut freed = Vec::new();
                for item in items {
                    freed.extend(purge_item(tx, owner, EntryId(item.id))?);
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
            .run(move |conn| db::trash::expired_trash(conn, before))
            .await?;
        let count = expired.len();
        for (owner, id) in expired {
            self.purge(UserId(owner), EntryId(id)).await?;
        }
        Ok(count)
    }
}

/// Deletes a trashed subtree's rows and its files' versions, gives their bytes back to the
/// owner, and releases their blobs; returns the hashes now unreferenced.
fn purge_item(tx: &Connection, owner: UserId, id: EntryId) -> DriveResult<Vec<BlobId>> {
    let size: i64 = entries::subtree(tx, id.0)?.iter().map(|e| e.size).sum();
    let (mut hashes, versioned) = db::versions::delete_in_trash(tx, id.0)?;
    hashes.extend(db::trash::purge(tx, id.0)?);
    db::users::add_usage(tx, owner.0, -(size + versioned))?;
    Ok(release_all(tx, hashes)?)
}

fn is_live_folder(conn: &Connection, owner: UserId, id: EntryId) -> bool {
    matches!(
        entries::live(conn, owner.0, id.0),
        Ok(Some(EntryRecord {
            is_folder: true,
            ..
        }))
    )
}
