//! Dead properties of entries (WebDAV PROPPATCH, SPEC §11) and the space figures RFC 4331
//! reports. A property goes with its entry: it follows moves and the trash, is copied by
//! COPY, and is deleted with the entry.

use super::{Drive, DriveError, DriveResult};
use crate::db::dav_props::{self, PropRow};
use crate::db::{self, entries};
use crate::ids::{EntryId, UserId};

/// Dead properties one entry may carry.
pub const MAX_PROPS_PER_ENTRY: i64 = 256;
/// Largest value of one dead property (its XML), in bytes.
pub const MAX_PROP_VALUE_BYTES: usize = 64 * 1024;

pub type DeadProp = PropRow;

/// One change of a PROPPATCH, in document order.
#[derive(Debug, Clone)]
pub enum PropChange {
    Set {
        ns: String,
        name: String,
        value: String,
    },
    Remove {
        ns: String,
        name: String,
    },
}

/// What a user has and may still use, in bytes (RFC 4331).
#[derive(Debug, Clone, Copy)]
pub struct Space {
    pub used: u64,
    /// The quota's room, or the disk's free bytes, whichever is smaller.
    pub available: u64,
}

impl Drive {
    /// The dead properties of `owner`'s live entries among `ids` (one query).
    pub async fn dead_props(&self, owner: UserId, ids: Vec<i64>) -> DriveResult<Vec<DeadProp>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .db
            .run(move |conn| dav_props::of_entries(conn, owner.0, &ids))
            .await?)
    }

    /// Applies every change to the entry, and the modification time when one is given,
    /// all or none.
    pub async fn patch_props(
        &self,
        owner: UserId,
        id: EntryId,
        changes: Vec<PropChange>,
        modified_at: Option<i64>,
    ) -> DriveResult<()> {
        if let Some(mtime) = modified_at {
            super::check_mtime(mtime)?;
        }
        if changes.iter().any(
            |c| matches!(c, PropChange::Set { value, .. } if value.len() > MAX_PROP_VALUE_BYTES),
        ) {
            return Err(DriveError::Validation {
                field: "property",
                problem: format!("a property value is at most {MAX_PROP_VALUE_BYTES} bytes"),
            });
        }
        self.db
            .write(move |tx| -> DriveResult<()> {
                entries::live(tx, owner.0, id.0)?.ok_or(DriveError::NotFound)?;
                for change in &changes {
                    match change {
                        PropChange::Set { ns, name, value } => {
                            dav_props::set(tx, id.0, ns, name, value)?
                        }
                        PropChange::Remove { ns, name } => dav_props::remove(tx, id.0, ns, name)?,
                    }
                }
                if dav_props::count(tx, id.0)? > MAX_PROPS_PER_ENTRY {
                    return Err(DriveError::QuotaExceeded);
                }
                if let Some(mtime) = modified_at {
                    entries::set_modified(tx, owner.0, id.0, mtime)?;
                }
                Ok(())
            })
            .await
    }

    /// Gives `to` the dead properties of `from` (both the owner's).
    pub async fn copy_props(&self, owner: UserId, from: EntryId, to: EntryId) -> DriveResult<()> {
        self.db
            .write(move |tx| -> DriveResult<()> {
                entries::live(tx, owner.0, from.0)?.ok_or(DriveError::NotFound)?;
                entries::live(tx, owner.0, to.0)?.ok_or(DriveError::NotFound)?;
                Ok(dav_props::copy(tx, from.0, to.0)?)
            })
            .await
    }

    /// The owner's used bytes and what is still available to them.
    pub async fn space(&self, owner: UserId) -> DriveResult<Space> {
        let (used, quota) = self
            .db
            .run(move |conn| db::users::usage(conn, owner.0))
            .await?;
        let disk = self.store.free_bytes()?;
        let room = quota.map_or(u64::MAX, |q| (q - used).max(0) as u64);
        Ok(Space {
            used: used.max(0) as u64,
            available: room.min(disk),
        })
    }
}
