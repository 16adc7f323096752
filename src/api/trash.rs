//! `/trash`: list, restore, purge one, empty.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::security::Caller;
use super::files::EntryView;
use super::respond::failure::{ApiResult, DriveErrors, DriveWriteErrors};
use super::respond::models::{list_type, time};
use super::{ApiTags, NoContent};
use crate::ids::EntryId;
use crate::service::drive::Drive;

/// A deleted file or folder (with everything that was in it).
#[derive(Debug, Clone, Object)]
pub struct TrashItem {
    #[oai(flatten)]
    pub entry: EntryView,
    pub deleted_at: DateTime<Utc>,
    /// Where it was when deleted.
    pub original_path: String,
}

list_type!(
    /// A page of the trash, newest first.
    TrashList, TrashItem
);

pub struct TrashApi {
    pub drive: Arc<Drive>,
}

#[OpenApi(tag = "ApiTags::Trash")]
impl TrashApi {
    /// My trash. Items older than `storage.trash_days` are purged automatically.
    #[oai(path = "/trash", method = "get", operation_id = "list_trash")]
    async fn list(
        &self,
        caller: Caller,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<TrashList>, DriveErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let (records, total) = self
            .drive
            .trash(caller.0.id(), page.limit, page.offset)
            .await?;
        let items = records
            .into_iter()
            .map(|record| {
                let original_path = record.original_path.clone().unwrap_or_default();
                TrashItem {
                    entry: EntryView::new(&record, original_path.clone()),
                    deleted_at: time(record.deleted_at.unwrap_or_default()),
                    original_path,
                }
            })
            .collect();
        Ok(Json(TrashList {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// Put an item back where it was (or at the root when that folder is gone), renamed
    /// `name (1)` if the name is taken there.
    #[oai(
        path = "/trash/:id/restore",
        method = "post",
        operation_id = "restore_trash_item"
    )]
    async fn restore(
        &self,
        caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<Json<EntryView>, DriveWriteErrors> {
        let entry = self.drive.restore(caller.0.id(), EntryId(id.0)).await?;
        Ok(Json(entry.into()))
    }

    /// Delete one item for good.
    #[oai(
        path = "/trash/:id",
        method = "delete",
        operation_id = "purge_trash_item"
    )]
    async fn purge(&self, caller: Caller, id: Path<i64>) -> ApiResult<NoContent, DriveErrors> {
        self.drive.purge(caller.0.id(), EntryId(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// Empty the trash.
    #[oai(path = "/trash", method = "delete", operation_id = "empty_trash")]
    async fn empty(&self, caller: Caller) -> ApiResult<NoContent, DriveErrors> {
        self.drive.empty_trash(caller.0.id()).await?;
        Ok(NoContent::Done)
    }
}
