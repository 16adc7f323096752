//! Folders and the shape of the tree: create, read, resolve paths, list and search,
//! rename and move, copy.

use bytes::Bytes;
use rusqlite::Connection;
use unicode_normalization::UnicodeNormalization;

use super::listings::PageKey;
use super::names::FileName;
use super::namespace::{charge, folder_path, free_name, name_taken, require_folder, walk};
use super::{join_path, Drive, DriveError, DriveResult, Entry};
use crate::db::entries::{self, EntryRecord, Listing};
use crate::db::{self, now};
use crate::ids::{EntryId, UserId};

/// One file or folder of a folder's archive.
#[derive(Debug, Clone)]
pub struct ArchiveItem {
    /// Path inside the archive, '/'-separated, no leading '/'; folders end with '/'.
    pub path: String,
    /// Where the file's bytes are (`None` for a folder, or an empty file with no blob).
    pub blob: Option<crate::store::BlobAt>,
    pub size: u64,
    /// Unix seconds.
    pub modified: i64,
}

/// Listing pages that end within this many entries are read on the request's thread.
const INLINE_PAGE_WALK: i64 = 1000;

/// A rename and/or move; `parent: None` leaves the folder, `Some(None)` means the root.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub name: Option<FileName>,
    pub parent: Option<Option<EntryId>>,
}

impl Drive {
    pub async fn create_folder(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        name: FileName,
    ) -> DriveResult<Entry> {
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                let parent_path = folder_path(tx, owner, parent)?;
                let raw_parent = EntryId::raw(parent);
                let now = now();
                let id = entries::insert_folder(tx, owner.0, raw_parent, name.as_str(), now, now)
                    .map_err(name_taken)?;
                let record = entries::live(tx, owner.0, id)?.ok_or(DriveError::NotFound)?;
                Ok(Entry {
                    record,
                    path: join_path(&parent_path, name.as_str()),
                })
            })
            .await
    }

    /// One live entry of the owner; anyone else's is `NotFound`.
    pub async fn get(&self, owner: UserId, id: EntryId) -> DriveResult<Entry> {
        self.db
            .run(move |conn| with_path(conn, live(conn, owner, id)?))
            .await
    }

    /// One of my live entries without its path (the byte routes need no path, and
    /// computing it is a recursive query per request), remembered while nothing is
    /// written (`records.rs`).
    pub async fn record(&self, owner: UserId, id: EntryId) -> DriveResult<EntryRecord> {
        let generation = self.db.generation();
        if let Some(record) = self.records.get(owner, id, generation) {
            return Ok(record);
        }
        let found = self
            .db
            .read_now(move |c| entries::live(c, owner.0, id.0))
            .await?;
        let record = found.ok_or(DriveError::NotFound)?;
        self.records.put(owner, id, generation, &record);
        Ok(record)
    }

    /// A live file of any owner — only for a caller who proved a signed link to it.
    pub async fn get_any(&self, id: EntryId) -> DriveResult<EntryRecord> {
        let found = self
            .db
            .read_now(move |c| entries::live_any(c, id.0))
            .await?;
        found.filter(|e| !e.is_folder).ok_or(DriveError::NotFound)
    }

    /// A folder's contents as archive items (the folder's name is the top directory).
    pub async fn archive_items(&self, owner: UserId, id: EntryId) -> DriveResult<Vec<ArchiveItem>> {
        let rows = self
            .db
            .run(move |conn| -> DriveResult<_> {
                live(conn, owner, id)?;
                Ok(entries::subtree_paths(conn, id.0)?)
            })
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let blob = match &row.sha256 {
                Some(sha) => Some(self.store.source(sha, row.object_key)?),
                None => None,
            };
            items.push(ArchiveItem {
                path: if row.is_folder {
                    format!("{}/", row.path)
                } else {
                    row.path
                },
                blob,
                size: row.size as u64,
                modified: row.modified_at,
            });
        }
        Ok(items)
    }

    pub async fn resolve(&self, owner: UserId, path: Vec<FileName>) -> DriveResult<Entry> {
        self.db
            .run(move |conn| {
                with_path(
                    conn,
                    walk(conn, owner, None, &path)?.ok_or(DriveError::NotFound)?,
                )
            })
            .await
    }

    /// The owner's tree version: equal versions mean an unchanged tree.
    pub async fn tree_version(&self, owner: UserId) -> DriveResult<i64> {
        Ok(self
            .db
            .read_now(move |c| entries::tree_version(c, owner.0))
            .await?)
    }

    /// A page of a folder in its served form: from the listing cache while the owner's
    /// tree stands still (`listings.rs`), else listed, rendered by `render` and cached.
    pub async fn folder_page<E>(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        listing: Listing,
        render: impl FnOnce(Vec<Entry>, i64) -> Result<Bytes, E>,
    ) -> Result<Bytes, E>
    where
        E: From<DriveError>,
    {
        let key = PageKey {
            owner,
            parent,
            listing,
        };
        // Read before the page is: a page is never stored under a newer version than its own.
        let version = self.tree_version(owner).await?;
        if let Some(body) = self.listings.get(&key, version) {
            return Ok(body);
        }
        let (entries, total) = self.list(owner, parent, None, listing).await?;
        let body = render(entries, total)?;
        self.listings.put(key, version, body.clone());
        Ok(body)
    }

    /// A page of a folder, or with `query` a page of name matches below it.
    pub async fn list(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        query: Option<String>,
        listing: Listing,
    ) -> DriveResult<(Vec<Entry>, i64)> {
        let Some(query) = query.filter(|q| !q.is_empty()) else {
            let page = move |conn: &Connection| children_page(conn, owner, parent, &listing);
            // A short page near the start walks a few index entries: cheaper on this
            // thread than a hop to the blocking pool. Deep or long pages take the hop.
            return match listing.limit + listing.offset <= INLINE_PAGE_WALK {
                true => self.db.read_now(page).await,
                false => self.db.run(page).await,
            };
        };
        self.db
            .run(move |conn| -> DriveResult<(Vec<Entry>, i64)> {
                require_folder(conn, owner, parent)?;
                // Names are stored in NFC; so is what they are compared with.
                let query: String = query.nfc().collect();
                let (rows, total) =
                    entries::search(conn, owner.0, EntryId::raw(parent), &query, &listing)?;
                let items = rows
                    .into_iter()
                    .map(|r| with_path(conn, r))
                    .collect::<DriveResult<_>>()?;
                Ok((items, total))
            })
            .await
    }

    /// Renames and/or moves an entry (a folder with everything in it).
    pub async fn change(&self, owner: UserId, id: EntryId, change: Change) -> DriveResult<Entry> {
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                let entry = live(tx, owner, id)?;
                let parent = change.parent.unwrap_or(entry.parent_id.map(EntryId));
                let name = change
                    .name
                    .map_or(entry.name.clone(), |n| n.as_str().to_owned());
                if let Some(target) = parent {
                    folder_path(tx, owner, Some(target))?;
                    if entry.is_folder && entries::is_within(tx, id.0, target.0)? {
                        return Err(DriveError::InvalidMove);
                    }
                }
                entries::rename_move(tx, id.0, EntryId::raw(parent), &name, now())
                    .map_err(name_taken)?;
                with_path(tx, live(tx, owner, id)?)
            })
            .await
    }

    /// Copies a file or a whole folder; blobs are shared, and the copy counts toward the
    /// quota in full. Without an explicit name a clash is auto-renamed.
    pub async fn copy(
        &self,
        owner: UserId,
        id: EntryId,
        parent: Option<Option<EntryId>>,
        name: Option<FileName>,
    ) -> DriveResult<Entry> {
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                let source = live(tx, owner, id)?;
                let target = parent.unwrap_or(source.parent_id.map(EntryId));
                let parent_path = folder_path(tx, owner, target)?;
                if let Some(folder) = target.filter(|_| source.is_folder) {
                    if entries::is_within(tx, id.0, folder.0)? {
                        return Err(DriveError::InvalidMove);
                    }
                }
                let wanted = FileName::parse(&source.name)?;
                let name = match name {
                    Some(explicit) => explicit,
                    None if entries::child(tx, owner.0, EntryId::raw(target), wanted.as_str())?
                        .is_some() =>
                    {
                        free_name(tx, owner, target, &wanted)?
                    }
                    None => wanted,
                };
                let copy = copy_tree(tx, owner, &source, target, name.as_str())?;
                with_path(tx, live(tx, owner, copy)?).map(|e| Entry {
                    path: join_path(&parent_path, name.as_str()),
                    ..e
                })
            })
            .await
    }

    /// Moves an entry (and everything below it) to the trash.
    pub async fn delete(&self, owner: UserId, id: EntryId) -> DriveResult<()> {
        self.db
            .write(move |tx| -> DriveResult<()> {
                let entry = live(tx, owner, id)?;
                let path = entries::path_of(tx, id.0)?;
                db::trash::trash(tx, &entry, &path, now())?;
                Ok(())
            })
            .await
    }
}

/// Copies `source` (recursively, with its WebDAV dead properties) under `parent` as `name`;
/// returns the new top id. Copies are new entries (created and updated now) of unchanged
/// content: they keep `modified_at`.
fn copy_tree(
    tx: &Connection,
    owner: UserId,
    source: &EntryRecord,
    parent: Option<EntryId>,
    name: &str,
) -> DriveResult<EntryId> {
    let now = now();
    let raw_parent = EntryId::raw(parent);
    let id = match &source.sha256 {
        Some(sha256) => {
            charge(tx, owner, source.size)?;
            db::blobs::acquire(tx, sha256, source.size, now)?;
            let mime = source.mime_type.clone().unwrap_or_default();
            let content = entries::FileContent {
                size: source.size,
                sha256,
                mime_type: &mime,
                modified_at: source.modified_at,
                uploaded_by: source.uploaded_by,
                source: source.content_source.as_deref(),
            };
            entries::insert_file(tx, owner.0, raw_parent, name, &content, now)
                .map_err(name_taken)?
        }
        None => entries::insert_folder(tx, owner.0, raw_parent, name, now, source.modified_at)
            .map_err(name_taken)?,
    };
    let id = EntryId(id);
    db::dav_props::copy(tx, source.id, id.0)?;
    if source.is_folder {
        for child in entries::live_children(tx, source.id)? {
            copy_tree(tx, owner, &child, Some(id), &child.name)?;
        }
    }
    Ok(id)
}

fn live(conn: &Connection, owner: UserId, id: EntryId) -> DriveResult<EntryRecord> {
    entries::live(conn, owner.0, id.0)?.ok_or(DriveError::NotFound)
}

/// A page of a folder's children, each with its path.
fn children_page(
    conn: &Connection,
    owner: UserId,
    parent: Option<EntryId>,
    listing: &Listing,
) -> DriveResult<(Vec<Entry>, i64)> {
    let parent_path = folder_path(conn, owner, parent)?;
    let (rows, total) = entries::children(conn, owner.0, EntryId::raw(parent), listing)?;
    let items = rows
        .into_iter()
        .map(|r| Entry {
            path: join_path(&parent_path, &r.name),
            record: r,
        })
        .collect();
    Ok((items, total))
}

fn with_path(conn: &Connection, record: EntryRecord) -> DriveResult<Entry> {
    Ok(Entry {
        path: entries::path_of(conn, record.id)?,
        record,
    })
}
