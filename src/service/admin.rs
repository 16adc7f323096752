//! Account management by admins: listing, role/quota/activation changes, deletion, with
//! last-admin protection, and instance statistics.

use std::path::Path;

use rusqlite::Transaction;

use crate::db::users::{AdminUpdate, UserRecord, ROLE_ADMIN, ROLE_USER};
use crate::db::{self, now};
use crate::ids::UserId;

use super::accounts::{load, unique_to_taken, Accounts};
use super::drive::Drive;
use super::validate::{self, Email};
use super::{AccountError, AccountResult};

/// Changes an admin may make; `None` leaves a field alone. `storage_quota: Some(None)`
/// removes the quota.
#[derive(Debug, Clone, Default)]
pub struct AdminChanges {
    pub role: Option<String>,
    pub storage_quota: Option<Option<i64>>,
    pub is_active: Option<bool>,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// Instance figures for `GET /admin/stats`.
#[derive(Debug, Clone, Default)]
pub struct InstanceStats {
    pub users: i64,
    pub active_users: i64,
    pub files: i64,
    pub folders: i64,
    pub bytes_logical: i64,
    pub bytes_stored: i64,
    pub bytes_saved_by_dedup: i64,
    pub versions: i64,
    pub bytes_in_versions: i64,
    pub free_disk_bytes: u64,
}

impl Accounts {
    pub async fn search(
        &self,
        query: String,
        limit: i64,
        offset: i64,
    ) -> AccountResult<(Vec<UserRecord>, i64)> {
        Ok(self
            .db
            .run(move |conn| db::users::search(conn, &query, limit, offset))
            .await?)
    }

    /// Applies admin changes in one transaction. Demoting or deactivating the last active
    /// admin is refused; deactivation ends the user's sessions at once.
    pub async fn admin_update(
        &self,
        id: UserId,
        changes: AdminChanges,
    ) -> AccountResult<UserRecord> {
        if let Some(role) = changes
            .role
            .as_deref()
            .filter(|r| *r != ROLE_ADMIN && *r != ROLE_USER)
        {
            return Err(AccountError::field(
                "role",
                format!("{role:?} is not user or admin"),
            ));
        }
        if let Some(Some(quota)) = changes.storage_quota.filter(|q| q.is_some_and(|q| q < 0)) {
            return Err(AccountError::field(
                "storage_quota",
                format!("{quota} is negative"),
            ));
        }
        let display_name = changes
            .display_name
            .as_deref()
            .map(validate::display_name)
            .transpose()?;
        let email = changes.email.as_deref().map(Email::parse).transpose()?;
        let (user, sessions) = self
            .db
            .write(move |tx| -> AccountResult<(UserRecord, Vec<i64>)> {
                let current = load(tx, id)?;
                let update = AdminUpdate {
                    role: changes.role.unwrap_or_else(|| current.role.clone()),
                    is_active: changes.is_active.unwrap_or(current.is_active),
                    storage_quota: changes.storage_quota.unwrap_or(current.storage_quota),
                };
                let loses_admin = update.role != ROLE_ADMIN || !update.is_active;
                if current.is_admin() && current.is_active && loses_admin {
                    ensure_other_admin(tx, id)?;
                }
                db::users::update_admin_fields(tx, id.0, &update, now())?;
                if display_name.is_some() || email.is_some() {
                    let profile = db::users::ProfileUpdate {
                        username: current.username.clone(),
                        email: email.map_or(current.email.clone(), |e| e.as_str().to_owned()),
                        display_name: display_name.unwrap_or(current.display_name.clone()),
                        bio: current.bio.clone(),
                    };
                    db::users::update_profile(tx, id.0, &profile, now())
                        .map_err(unique_to_taken)?;
                }
                let sessions = if update.is_active {
                    Vec::new()
                } else {
                    db::sessions::revoke_all_for_user(tx, id.0, now())?
                };
                Ok((load(tx, id)?, sessions))
            })
            .await?;
        self.forget(id, &sessions);
        Ok(user)
    }

    pub async fn set_active(&self, id: UserId, active: bool) -> AccountResult<UserRecord> {
        self.admin_update(
            id,
            AdminChanges {
                is_active: Some(active),
                ..AdminChanges::default()
            },
        )
        .await
    }

    /// Deletes a user and everything they own (rows cascade).
    /// Deletes a user and everything they own: their entries' rows cascade, their blobs
    /// are released in the same transaction and unreferenced ones removed after commit.
    pub async fn delete(&self, id: UserId) -> AccountResult<()> {
        let freed = self
            .db
            .write(move |tx| -> AccountResult<Vec<crate::store::BlobId>> {
                let current = load(tx, id)?;
                if current.is_admin() && current.is_active {
                    ensure_other_admin(tx, id)?;
                }
                let freed = Drive::release_owner(tx, id)?;
                db::api_tokens::revoke_all_for_user(tx, id.0, now())?;
                db::users::delete(tx, id.0)?;
                Ok(freed)
            })
            .await?;
        // Sessions and tokens cascade; dropping the cached user ends them on the next request.
        self.forget(id, &[]);
        self.drive.reap(freed).await;
        Ok(())
    }

    pub async fn stats(&self, data_dir: &Path) -> AccountResult<InstanceStats> {
        let (users, active_users, (files, folders, bytes_logical), bytes_stored, versioned) = self
            .db
            .run(|conn| -> AccountResult<_> {
                Ok((
                    db::users::count(conn)?,
                    db::users::count_active(conn)?,
                    db::entries::totals(conn)?,
                    db::blobs::stored_bytes(conn)?,
                    db::versions::totals(conn)?,
                ))
            })
            .await?;
        let (versions, bytes_in_versions) = versioned;
        let free_disk_bytes = crate::store::data_dir::free_bytes(data_dir).unwrap_or(0);
        Ok(InstanceStats {
            users,
            active_users,
            files,
            folders,
            bytes_logical,
            bytes_stored,
            bytes_saved_by_dedup: bytes_logical + bytes_in_versions - bytes_stored,
            versions,
            bytes_in_versions,
            free_disk_bytes,
        })
    }
}

fn ensure_other_admin(tx: &Transaction, id: UserId) -> AccountResult<()> {
    if db::users::count_other_active_admins(tx, id.0)? == 0 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}
