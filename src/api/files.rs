//! `/files` and `/folders`: the tree — list and search, read, resolve paths, create
//! folders, rename, move, copy and delete (to the trash).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::security::Caller;
use super::extract::text::Text;
use super::respond::failure::{ApiResult, DriveErrors, DriveWriteErrors};
use super::respond::json_bytes::{rfc3339, JsonBytes};
use super::respond::models::{list_type, time};
use super::{ApiTags, NoContent};
use crate::error::ApiError;
use crate::ids::{EntryId, UserId};
use crate::service::drive::names::{parse_path, FileName};
use crate::service::drive::tree::Change;
use crate::service::drive::{Drive, Entry as DriveEntry};
use crate::service::drive::{EntryRecord, Listing, SortKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Folder,
}

// Its serde form (listings are `JsonBytes`) must equal its OpenAPI form: tests/api/listing_cache.rs.
/// A file or folder.
#[derive(Debug, Clone, Object, serde::Serialize)]
#[oai(rename = "Entry")]
pub struct EntryView {
    pub id: i64,
    /// The containing folder; null at the root.
    #[oai(nullable)]
    pub parent_id: Option<i64>,
    /// 1–255 bytes, NFC, unique within its folder.
    pub name: String,
    pub kind: Kind,
    /// Full path from the root, e.g. `/photos/2024/cat.jpg`.
    pub path: String,
    /// Bytes (0 for folders).
    pub size: i64,
    /// Decided by the server from the name (or the bytes); null for folders.
    #[oai(nullable)]
    pub mime_type: Option<String>,
    /// `image`, `video`, `audio`, `document`, `text` or `other`; null for folders.
    #[oai(nullable)]
    pub category: Option<String>,
    /// Lower-case extension without the dot (`""` when none); null for folders.
    #[oai(nullable)]
    pub extension: Option<String>,
    /// Hex SHA-256 of the content; null for folders.
    #[oai(nullable)]
    pub sha256: Option<String>,
    /// When the entry was created on the server (a copy is a new entry).
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// When the server last changed the entry: its content, name or place.
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// The content's modification time as the client knows it: the `mtime` an upload
    /// carried (tus `Upload-Metadata`, WebDAV `X-OC-Mtime`), else the upload time.
    /// Replacing the content sets it again; a copy keeps it; rename, move, trash and
    /// restore leave it. A folder's is its creation time unless a client set it. The byte
    /// routes send it as `Last-Modified`.
    #[serde(serialize_with = "rfc3339")]
    pub modified_at: DateTime<Utc>,
    /// How many earlier contents the file keeps (`/files/{id}/versions`); 0 for folders.
    pub versions: i64,
}

impl EntryView {
    pub fn new(record: &EntryRecord, path: String) -> Self {
        let media = (!record.is_folder)
            .then(|| crate::service::media::describe(&record.name, record.mime_type.as_deref()));
        Self {
            id: record.id,
            parent_id: record.parent_id,
            name: record.name.clone(),
            kind: if record.is_folder {
                Kind::Folder
            } else {
                Kind::File
            },
            path,
            size: record.size,
            mime_type: media.as_ref().map(|m| m.mime_type.clone()),
            category: media.as_ref().map(|m| m.category.as_str().to_owned()),
            extension: media.map(|m| m.extension),
            sha256: record.sha256.as_ref().map(|id| id.as_str().to_owned()),
            created_at: time(record.created_at),
            updated_at: time(record.updated_at),
            modified_at: time(record.modified_at),
            versions: record.version_count,
        }
    }
}

impl From<DriveEntry> for EntryView {
    fn from(entry: DriveEntry) -> Self {
        EntryView::new(&entry.record, entry.path)
    }
}

list_type!(
    /// A page of entries.
    #[derive(serde::Serialize)]
    EntryList, EntryView
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
#[oai(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Name,
    Size,
    CreatedAt,
    UpdatedAt,
    ModifiedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
#[oai(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CreateFolderRequest {
    pub name: Text,
    /// Null or absent: the root.
    pub parent_id: Option<i64>,
}

/// Rename and/or move. An absent field changes nothing; `"parent_id": null` moves to the root.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateEntryRequest {
    pub name: Option<Text>,
    pub parent_id: MaybeUndefined<i64>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CopyRequest {
    /// Target folder; absent: the same folder; null: the root.
    pub parent_id: MaybeUndefined<i64>,
    /// Name of the copy; absent: the same name, auto-renamed on a clash.
    pub name: Option<Text>,
}

#[derive(ApiResponse)]
pub enum EntryCreated {
    #[oai(status = 201)]
    Created(Json<EntryView>),
}

pub struct FilesApi {
    pub drive: Arc<Drive>,
}

#[OpenApi(tag = "ApiTags::Files")]
impl FilesApi {
    /// List a folder (folders first), or with `q` search names below it (or everywhere).
    #[oai(path = "/files", method = "get", operation_id = "list_files")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        caller: Caller,
        parent_id: Query<Option<i64>>,
        sort: Query<Option<Sort>>,
        order: Query<Option<Order>>,
        q: Query<Option<String>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<JsonBytes<EntryList>, DriveErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let listing = Listing {
            sort: match sort.0.unwrap_or_default() {
                Sort::Name => SortKey::Name,
                Sort::Size => SortKey::Size,
                Sort::CreatedAt => SortKey::CreatedAt,
                Sort::UpdatedAt => SortKey::UpdatedAt,
                Sort::ModifiedAt => SortKey::ModifiedAt,
            },
            descending: order.0 == Some(Order::Desc),
            limit: page.limit,
            offset: page.offset,
        };
        let (owner, parent) = (caller.0.id(), parent_id.0.map(EntryId));
        match q.0.filter(|q| !q.is_empty()) {
            Some(query) => Ok(self.page(owner, parent, Some(query), listing).await?),
            None => Ok(self.folder_page(owner, parent, listing).await?),
        }
    }

    /// Resolve a path such as `/a/b.txt` (the leading `/` is optional).
    #[oai(
        path = "/files/by-path",
        method = "get",
        operation_id = "get_file_by_path"
    )]
    async fn by_path(
        &self,
        caller: Caller,
        path: Query<String>,
    ) -> ApiResult<Json<EntryView>, DriveWriteErrors> {
        let names = parse_path(&path.0)?;
        Ok(Json(self.drive.resolve(caller.0.id(), names).await?.into()))
    }

    /// One entry.
    #[oai(path = "/files/:id", method = "get", operation_id = "get_file")]
    async fn get(&self, caller: Caller, id: Path<i64>) -> ApiResult<Json<EntryView>, DriveErrors> {
        let entry = self.drive.get(caller.0.id(), EntryId(id.0)).await?;
        Ok(Json(entry.into()))
    }

    /// Create a folder (a clash is `name_conflict`).
    #[oai(path = "/folders", method = "post", operation_id = "create_folder")]
    async fn create_folder(
        &self,
        caller: Caller,
        body: Json<CreateFolderRequest>,
    ) -> ApiResult<EntryCreated, DriveWriteErrors> {
        let name = FileName::parse(&body.name)?;
        let entry = self
            .drive
            .create_folder(caller.0.id(), body.parent_id.map(EntryId), name)
            .await?;
        Ok(EntryCreated::Created(Json(entry.into())))
    }

    /// Rename and/or move. Moving a folder into itself or below itself is `invalid_move`.
    #[oai(path = "/files/:id", method = "patch", operation_id = "update_file")]
    async fn update(
        &self,
        caller: Caller,
        id: Path<i64>,
        body: Json<UpdateEntryRequest>,
    ) -> ApiResult<Json<EntryView>, DriveWriteErrors> {
        let body = body.0;
        let change = Change {
            name: body.name.map(|n| FileName::parse(&n)).transpose()?,
            parent: maybe(body.parent_id),
        };
        let id = EntryId(id.0);
        Ok(Json(
            self.drive.change(caller.0.id(), id, change).await?.into(),
        ))
    }

    /// Copy a file or folder. Blobs are shared, not duplicated; the copy counts toward the
    /// quota in full.
    #[oai(path = "/files/:id/copy", method = "post", operation_id = "copy_file")]
    async fn copy(
        &self,
        caller: Caller,
        id: Path<i64>,
        body: Json<Option<CopyRequest>>,
    ) -> ApiResult<EntryCreated, DriveWriteErrors> {
        let (parent, name) = match body.0 {
            Some(body) => (
                maybe(body.parent_id),
                body.name.map(|n| FileName::parse(&n)).transpose()?,
            ),
            None => (None, None),
        };
        let entry = self
            .drive
            .copy(caller.0.id(), EntryId(id.0), parent, name)
            .await?;
        Ok(EntryCreated::Created(Json(entry.into())))
    }

    /// Move to the trash (a folder with everything in it).
    #[oai(path = "/files/:id", method = "delete", operation_id = "delete_file")]
    async fn delete(&self, caller: Caller, id: Path<i64>) -> ApiResult<NoContent, DriveErrors> {
        self.drive.delete(caller.0.id(), EntryId(id.0)).await?;
        Ok(NoContent::Done)
    }
}

impl FilesApi {
    /// A folder page from the drive's listing cache, or listed and serialized here.
    async fn folder_page(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        listing: Listing,
    ) -> Result<JsonBytes<EntryList>, ApiError> {
        let render = |entries, total| encode(entries, total, listing).map(|page| page.bytes());
        let body = self
            .drive
            .folder_page(owner, parent, listing, render)
            .await?;
        Ok(JsonBytes::from_bytes(body))
    }

    async fn page(
        &self,
        owner: UserId,
        parent: Option<EntryId>,
        query: Option<String>,
        listing: Listing,
    ) -> Result<JsonBytes<EntryList>, ApiError> {
        let (entries, total) = self.drive.list(owner, parent, query, listing).await?;
        encode(entries, total, listing)
    }
}

fn encode(
    entries: Vec<DriveEntry>,
    total: i64,
    listing: Listing,
) -> Result<JsonBytes<EntryList>, ApiError> {
    JsonBytes::encode(&EntryList {
        items: entries.into_iter().map(EntryView::from).collect(),
        total,
        limit: listing.limit,
        offset: listing.offset,
    })
}

/// Absent → no change; null → the root; a value → that folder.
fn maybe(value: MaybeUndefined<i64>) -> Option<Option<EntryId>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(EntryId(id))),
    }
}
