//! `/shares`: my share links — create, list, read, update, revoke (SPEC §7). Another user's
//! share or file is `not_found`, never `forbidden`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::security::Caller;
use super::extract::text::Text;
use super::files::Kind;
use super::respond::failure::{ApiResult, ShareErrors, ShareWriteErrors};
use super::respond::models::{list_type, time};
use super::{ApiTags, NoContent};
use crate::ids::EntryId;
use crate::service::now;
use crate::service::shares::OwnedShare;
use crate::service::shares::{is_spent, NewShare, ShareChange, Shares};

/// Whether a share's link works right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ShareStatus {
    /// The link works.
    Active,
    /// Past `expires_at`: the link answers 410 `share_expired`.
    Expired,
    /// `downloads` reached `max_downloads`: the link answers 410 `share_expired`.
    Exhausted,
    /// The shared entry is in the trash: the link answers 404 until it is restored.
    InTrash,
}

/// One of my share links.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Share")]
pub struct ShareView {
    /// Share id (for `GET`/`PATCH`/`DELETE /shares/{id}`).
    pub id: i64,
    /// The public token: 192 random bits, URL-safe base64 (32 characters).
    pub token: String,
    /// The web page of the share: `/s/{token}`.
    pub url: String,
    /// The shared file or folder.
    pub file_id: i64,
    /// Its current name (a share follows renames and moves).
    pub name: String,
    pub kind: Kind,
    /// Null: never expires.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Null: no limit.
    #[oai(nullable)]
    pub max_downloads: Option<i64>,
    /// Completed full downloads so far.
    pub downloads: i64,
    /// The password itself is never returned.
    pub has_password: bool,
    pub status: ShareStatus,
    pub created_at: DateTime<Utc>,
}

impl From<OwnedShare> for ShareView {
    fn from(owned: OwnedShare) -> Self {
        let share = &owned.share;
        let now = now();
        let status = if !owned.live {
            ShareStatus::InTrash
        } else if !is_spent(share, now) {
            ShareStatus::Active
        } else if share.expires_at.is_some_and(|at| at <= now) {
            ShareStatus::Expired
        } else {
            ShareStatus::Exhausted
        };
        Self {
            id: share.id,
            url: format!("{}{}", super::routes::SHARE_PAGE, share.token),
            token: share.token.clone(),
            file_id: share.entry_id,
            name: owned.name,
            kind: if owned.is_folder {
                Kind::Folder
            } else {
                Kind::File
            },
            expires_at: share.expires_at.map(time),
            max_downloads: share.max_downloads,
            downloads: share.downloads,
            has_password: share.password_hash.is_some(),
            status,
            created_at: time(share.created_at),
        }
    }
}

list_type!(
    /// A page of my shares, newest first.
    ShareList, ShareView
);

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateShareRequest {
    /// A live file or folder of mine.
    pub file_id: i64,
    /// 1–128 characters; absent or null: no password. Stored as an argon2id hash.
    pub password: Option<Text>,
    /// Must lie in the future (else 422); absent or null: never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// At least 1; absent or null: no limit.
    pub max_downloads: Option<i64>,
}

/// Each field: absent keeps it, `null` clears it, a value sets it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateShareRequest {
    /// A new password (1–128 characters), or null to remove it. Any change ends the
    /// unlock cookies handed out before.
    pub password: MaybeUndefined<Text>,
    /// A new expiry, which must lie in the future, or null for none.
    pub expires_at: MaybeUndefined<DateTime<Utc>>,
    /// A new limit (at least 1; below `downloads` ends the share), or null for none.
    pub max_downloads: MaybeUndefined<i64>,
}

#[derive(ApiResponse)]
pub enum ShareCreated {
    #[oai(status = 201)]
    Created(Json<ShareView>),
}

pub struct SharesApi {
    pub shares: Arc<Shares>,
}

#[OpenApi(tag = "ApiTags::Shares")]
impl SharesApi {
    /// Share one of my files or folders. The link is `/s/{token}` (web page) and
    /// `/api/v1/public/shares/{token}` (API).
    #[oai(path = "/shares", method = "post", operation_id = "create_share")]
    async fn create(
        &self,
        caller: Caller,
        body: Json<CreateShareRequest>,
    ) -> ApiResult<ShareCreated, ShareWriteErrors> {
        let body = body.0;
        let new = NewShare {
            file_id: EntryId(body.file_id),
            password: body.password.map(String::from),
            expires_at: body.expires_at.map(|at| at.timestamp()),
            max_downloads: body.max_downloads,
        };
        let share = self.shares.create(caller.0.id(), new).await?;
        Ok(ShareCreated::Created(Json(share.into())))
    }

    /// My shares, newest first; with `file_id`, only the shares of that entry.
    #[oai(path = "/shares", method = "get", operation_id = "list_shares")]
    async fn list(
        &self,
        caller: Caller,
        file_id: Query<Option<i64>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<ShareList>, ShareErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let (shares, total) = self
            .shares
            .list(
                caller.0.id(),
                file_id.0.map(EntryId),
                page.limit,
                page.offset,
            )
            .await?;
        Ok(Json(ShareList {
            items: shares.into_iter().map(ShareView::from).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// One of my shares.
    #[oai(path = "/shares/:id", method = "get", operation_id = "get_share")]
    async fn get(&self, caller: Caller, id: Path<i64>) -> ApiResult<Json<ShareView>, ShareErrors> {
        Ok(Json(self.shares.get(caller.0.id(), id.0).await?.into()))
    }

    /// Change a share's password, expiry or download limit (absent: unchanged; null:
    /// cleared). The token stays the same.
    #[oai(path = "/shares/:id", method = "patch", operation_id = "update_share")]
    async fn update(
        &self,
        caller: Caller,
        id: Path<i64>,
        body: Json<UpdateShareRequest>,
    ) -> ApiResult<Json<ShareView>, ShareWriteErrors> {
        let body = body.0;
        let change = ShareChange {
            password: maybe(body.password).map(|p| p.map(String::from)),
            expires_at: maybe(body.expires_at).map(|at| at.map(|at| at.timestamp())),
            max_downloads: maybe(body.max_downloads),
        };
        let share = self.shares.update(caller.0.id(), id.0, change).await?;
        Ok(Json(share.into()))
    }

    /// Revoke a share: its link answers 404 at once.
    #[oai(path = "/shares/:id", method = "delete", operation_id = "delete_share")]
    async fn delete(&self, caller: Caller, id: Path<i64>) -> ApiResult<NoContent, ShareErrors> {
        self.shares.delete(caller.0.id(), id.0).await?;
        Ok(NoContent::Done)
    }
}

/// Absent → `None` (keep); null → `Some(None)` (clear); a value → `Some(Some(v))`.
fn maybe<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}
