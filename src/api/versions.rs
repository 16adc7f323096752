//! `/files/{id}/versions`: a file's earlier contents (SPEC §13) — list, bytes, restore,
//! delete. Another user's file, a folder or a trashed file is 404 on every route.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::content::{serve_entry, FileBody};
use super::extract::pagination::Page;
use super::extract::security::Caller;
use super::files::EntryView;
use super::respond::failure::{ApiResult, ContentErrors, DriveErrors, DriveWriteErrors};
use super::respond::models::{list_type, time};
use super::routes::Mode;
use super::{ApiTags, NoContent};
use crate::ids::EntryId;
use crate::service::drive::{Drive, EntryRecord};
use crate::service::drive::versions::VersionRecord;

/// An earlier content of a file.
#[derive(Debug, Clone, Object)]
pub struct FileVersion {
    pub id: i64,
    pub file_id: i64,
    pub size: i64,
    /// Hex SHA-256 of this content (its strong ETag).
    pub sha256: String,
    #[oai(nullable)]
    pub mime_type: Option<String>,
    /// The content's modification time, as the file had it then (`Last-Modified`).
    pub modified_at: DateTime<Utc>,
    /// When it stopped being the current content.
    pub created_at: DateTime<Utc>,
    /// The door that content came through: `upload` (multipart), `put` (`PUT by-path`),
    /// `resumable` (tus), `webdav`, `restore` (an earlier version made current); null
    /// when it was written before Hoard recorded it.
    #[oai(nullable)]
    pub source: Option<String>,
    /// The account that wrote it (null: not recorded).
    #[oai(nullable)]
    pub uploaded_by: Option<String>,
}

impl From<VersionRecord> for FileVersion {
    fn from(v: VersionRecord) -> Self {
        Self {
            id: v.id,
            file_id: v.entry_id,
            size: v.size,
            sha256: v.sha256.as_str().to_owned(),
            mime_type: v.mime_type,
            modified_at: time(v.modified_at),
            created_at: time(v.created_at),
            source: v.source,
            uploaded_by: v.uploader,
        }
    }
}

list_type!(
    /// A page of a file's versions, newest first (the current content is not in it).
    VersionList, FileVersion
);

pub struct VersionsApi {
    pub drive: Arc<Drive>,
}

#[OpenApi(tag = "ApiTags::Files")]
impl VersionsApi {
    /// A file's earlier contents, newest first. Every replacement of the content (upload
    /// with `on_conflict=overwrite`, `PUT by-path`, tus, WebDAV `PUT`) keeps the old one,
    /// up to `versions.max_per_file` per file for `versions.max_age_days`. Versions count
    /// toward `storage_used`; an upload that needs room drops the oldest ones first.
    #[oai(
        path = "/files/:id/versions",
        method = "get",
        operation_id = "list_file_versions"
    )]
    async fn list(
        &self,
        caller: Caller,
        id: Path<i64>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<VersionList>, DriveErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let (records, total) = self
            .drive
            .versions(caller.0.id(), EntryId(id.0), page.limit, page.offset)
            .await?;
        Ok(Json(VersionList {
            items: records.into_iter().map(FileVersion::from).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// A version's bytes, inline under the file's name, with everything of the file's own
    /// byte routes: Range, `ETag` (this content's sha256), conditional requests, HEAD, the
    /// server-chosen type and the sandboxing headers.
    #[oai(
        path = "/files/:id/versions/:vid/content",
        method = "get",
        operation_id = "get_file_version_content"
    )]
    async fn content(
        &self,
        req: &Request,
        caller: Caller,
        id: Path<i64>,
        vid: Path<i64>,
    ) -> ApiResult<FileBody, ContentErrors> {
        let (file, version) = self
            .drive
            .version(caller.0.id(), EntryId(id.0), vid.0)
            .await?;
        let shown = EntryRecord {
            size: version.size,
            sha256: Some(version.sha256),
            mime_type: version.mime_type,
            modified_at: version.modified_at,
            ..file
        };
        Ok(serve_entry(req, &self.drive, &shown, Mode::Content).await?)
    }

    /// Make this version the current content. The current content becomes a version (the
    /// count stays the same) and the file keeps its id.
    #[oai(
        path = "/files/:id/versions/:vid/restore",
        method = "post",
        operation_id = "restore_file_version"
    )]
    async fn restore(
        &self,
        caller: Caller,
        id: Path<i64>,
        vid: Path<i64>,
    ) -> ApiResult<Json<EntryView>, DriveWriteErrors> {
        let entry = self
            .drive
            .restore_version(caller.0.id(), EntryId(id.0), vid.0)
            .await?;
        Ok(Json(entry.into()))
    }

    /// Delete one version for good; its bytes stop counting toward the quota.
    #[oai(
        path = "/files/:id/versions/:vid",
        method = "delete",
        operation_id = "delete_file_version"
    )]
    async fn delete(
        &self,
        caller: Caller,
        id: Path<i64>,
        vid: Path<i64>,
    ) -> ApiResult<NoContent, DriveErrors> {
        self.drive
            .delete_version(caller.0.id(), EntryId(id.0), vid.0)
            .await?;
        Ok(NoContent::Done)
    }
}
