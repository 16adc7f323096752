//! `/uploads`: resumable uploads over tus 1.0.0 (core, creation, creation-with-upload,
//! termination, checksum, expiration), plus JSON status for scripts and the web UI.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::extract::pagination::Page;
use super::extract::payloads::{TusChunk, TusCreationChunk};
use super::extract::security::Caller;
use super::respond::failure::{ApiResult, DriveErrors, PublicErrors, TusErrors, TusWriteErrors};
use super::respond::models::{list_type, time};
use super::tus::{self, http_date};
use super::{ApiTags, NoContent};
use crate::error::ApiError;
use crate::http::request_body::{has_body, linger};
use crate::ids::EntryId;
use crate::service::drive::names::FileName;
use crate::service::drive::upload::OnConflict;
use crate::service::drive::{check_mtime, parse_mtime, MAX_MTIME};
use crate::service::uploads::{Declared, Uploads};
use crate::service::uploads::{UploadRecord, UploadStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum UploadState {
    /// Created, no byte yet.
    Pending,
    /// Some bytes received.
    Uploading,
    /// Every byte received and committed: `file_id` is the new file.
    Completed,
    /// Gave up: `error` says why (e.g. `upload_expired`, `name_conflict`).
    Failed,
}

/// A resumable upload.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Upload")]
pub struct UploadView {
    pub id: i64,
    /// The file name it will get.
    pub name: String,
    /// Declared length (`Upload-Length`).
    pub size: i64,
    /// Bytes received and acknowledged.
    pub offset: i64,
    pub status: UploadState,
    /// Error code of a failed upload.
    #[oai(nullable)]
    pub error: Option<String>,
    /// The committed file, once `completed`.
    #[oai(nullable)]
    pub file_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When an unfinished upload's bytes will be removed (pushed out by every PATCH).
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<UploadRecord> for UploadView {
    fn from(record: UploadRecord) -> Self {
        Self {
            id: record.id,
            status: match record.status {
                UploadStatus::Pending => UploadState::Pending,
                UploadStatus::Uploading => UploadState::Uploading,
                UploadStatus::Completed => UploadState::Completed,
                UploadStatus::Failed => UploadState::Failed,
            },
            expires_at: record.status.is_open().then(|| time(record.expires_at)),
            name: record.name,
            size: record.size,
            offset: record.received,
            error: record.error,
            file_id: record.file_id,
            created_at: time(record.created_at),
            updated_at: time(record.updated_at),
        }
    }
}

list_type!(
    /// A page of my uploads, newest first.
    UploadList, UploadView
);

#[derive(ApiResponse)]
pub enum TusOptions {
    /// What this server speaks.
    #[oai(status = 204)]
    Capabilities(
        #[oai(header = "Tus-Version")] String,
        #[oai(header = "Tus-Extension")] String,
        #[oai(header = "Tus-Checksum-Algorithm")] String,
        /// The configured upload limit, or else the free space on the server's disk.
        #[oai(header = "Tus-Max-Size")]
        Option<u64>,
    ),
}

#[derive(ApiResponse)]
pub enum TusCreated {
    /// Created; continue at `Location` with HEAD and PATCH.
    #[oai(status = 201)]
    Created(
        Json<UploadView>,
        #[oai(header = "Location")] String,
        #[oai(header = "Upload-Offset")] i64,
        #[oai(header = "Upload-Expires")] Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum TusOffset {
    /// Where the upload stands.
    #[oai(status = 204)]
    Offset(
        #[oai(header = "Upload-Offset")] i64,
        #[oai(header = "Upload-Length")] i64,
        #[oai(header = "Upload-Metadata")] Option<String>,
        #[oai(header = "Upload-Expires")] Option<String>,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(ApiResponse)]
pub enum TusPatched {
    /// Bytes appended and fsync'd; on the last byte the file is committed.
    #[oai(status = 204)]
    Appended(
        #[oai(header = "Upload-Offset")] i64,
        #[oai(header = "Upload-Expires")] Option<String>,
    ),
}

pub struct ResumableApi {
    pub uploads: Arc<Uploads>,
}

#[OpenApi(tag = "ApiTags::Uploads")]
impl ResumableApi {
    /// tus discovery: version, extensions, checksum algorithms and the size limit.
    #[oai(path = "/uploads", method = "options", operation_id = "tus_options")]
    async fn options(&self) -> ApiResult<TusOptions, PublicErrors> {
        Ok(TusOptions::Capabilities(
            tus::VERSION.into(),
            tus::EXTENSIONS.into(),
            tus::CHECKSUMS.into(),
            self.uploads.size_limit(),
        ))
    }

    /// tus creation. `Upload-Metadata` must carry `filename` and may carry `parent_id`
    /// (a folder of mine; absent: the root), `on_conflict` (`rename`, the default,
    /// `overwrite` or `fail`) and `mtime` (the file's modification time in decimal unix
    /// seconds, 0 to 253402300799, a fraction is cut; it becomes the file's `modified_at`,
    /// which is otherwise the time of the last byte). Name, folder, conflict, `mtime`, size
    /// limit and quota are checked here, before any byte (bytes promised to my other unfinished uploads count as used;
    /// the commit re-checks exactly). With a body (`application/offset+octet-stream`) this
    /// is creation-with-upload. Unfinished uploads expire after `storage.upload_expiry_s`
    /// (24 h) without activity and their bytes are removed.
    #[oai(path = "/uploads", method = "post", operation_id = "tus_create")]
    // Each tus header is its own parameter so that OpenAPI documents it.
    #[allow(clippy::too_many_arguments)]
    async fn create(
        &self,
        req: &Request,
        caller: Caller,
        #[oai(name = "Tus-Resumable")] version: Header<Option<String>>,
        #[oai(name = "Upload-Length")] length: Header<Option<u64>>,
        #[oai(name = "Upload-Metadata")] metadata: Header<Option<String>>,
        #[oai(name = "Upload-Checksum")] checksum: Header<Option<String>>,
        body: TusCreationChunk,
    ) -> ApiResult<TusCreated, TusWriteErrors> {
        let owner = caller.0.id();
        let mut reader = body.0.into_async_read();
        let declared = async {
            tus::require_version(version.0.as_deref())?;
            let with_bytes = has_body(req) || req.content_type() == Some(tus::CHUNK_TYPE);
            if with_bytes {
                tus::require_chunk_type(req)?;
            }
            let length = length.0.ok_or_else(|| {
                ApiError::bad_request(
                    "Upload-Length is required (deferred length is not supported)",
                )
            })?;
            let checksum = tus::checksum(checksum.0.as_deref())?;
            let declared = declare(metadata.0.unwrap_or_default(), length)?;
            Ok::<_, ApiError>((declared, with_bytes, checksum))
        }
        .await;
        let (declared, with_bytes, checksum) = match declared {
            Ok(declared) => declared,
            Err(error) => return Err(refuse(error.into(), &mut reader).await),
        };
        let body = with_bytes.then_some((checksum, &mut reader));
        let record = match self.uploads.create_with_body(owner, declared, body).await {
            Ok(record) => record,
            Err(error) => return Err(refuse(error.into(), &mut reader).await),
        };
        let location = format!("/api/v1/uploads/{}", record.id);
        let (offset, expires) = (record.received, expiry(&record));
        Ok(TusCreated::Created(
            Json(record.into()),
            location,
            offset,
            expires,
        ))
    }

    /// tus HEAD: the offset to resume from. Never cached.
    #[oai(path = "/uploads/:id", method = "head", operation_id = "tus_head")]
    async fn head(
        &self,
        caller: Caller,
        id: Path<i64>,
        #[oai(name = "Tus-Resumable")] version: Header<Option<String>>,
    ) -> ApiResult<TusOffset, TusErrors> {
        tus::require_version(version.0.as_deref())?;
        let record = self.uploads.status(caller.0.id(), id.0).await?;
        let metadata = Some(record.metadata.clone()).filter(|m| !m.is_empty());
        Ok(TusOffset::Offset(
            record.received,
            record.size,
            metadata,
            expiry(&record),
            "no-store".into(),
        ))
    }

    /// tus PATCH: appends the body at `Upload-Offset` (409 `upload_conflict` when it is not
    /// the upload's offset). With `Upload-Checksum` (`sha1` or `sha256`, base64) a mismatch
    /// is 460 and none of this request's bytes are kept; without one, bytes of a request
    /// that breaks off are kept. Bytes are fsync'd before the answer; the last byte commits
    /// the file into the drive (its errors, e.g. 409 `name_conflict`, then fail the upload).
    #[oai(path = "/uploads/:id", method = "patch", operation_id = "tus_patch")]
    #[allow(clippy::too_many_arguments)]
    async fn patch(
        &self,
        req: &Request,
        caller: Caller,
        id: Path<i64>,
        #[oai(name = "Tus-Resumable")] version: Header<Option<String>>,
        #[oai(name = "Upload-Offset")] offset: Header<u64>,
        #[oai(name = "Upload-Checksum")] checksum: Header<Option<String>>,
        body: TusChunk,
    ) -> ApiResult<TusPatched, TusWriteErrors> {
        let mut reader = body.0.into_async_read();
        let checked = tus::require_version(version.0.as_deref())
            .and_then(|()| tus::require_chunk_type(req))
            .and_then(|()| tus::checksum(checksum.0.as_deref()));
        let checksum = match checked {
            Ok(checksum) => checksum,
            Err(error) => return Err(refuse(error.into(), &mut reader).await),
        };
        match self
            .uploads
            .append(caller.0.id(), id.0, offset.0, checksum, &mut reader)
            .await
        {
            Ok(record) => Ok(TusPatched::Appended(record.received, expiry(&record))),
            Err(error) => Err(refuse(error.into(), &mut reader).await),
        }
    }

    /// tus termination: the upload and its bytes are removed (a completed upload's file
    /// stays in the drive); afterwards the upload is 404.
    #[oai(
        path = "/uploads/:id",
        method = "delete",
        operation_id = "tus_terminate"
    )]
    async fn terminate(
        &self,
        caller: Caller,
        id: Path<i64>,
        #[oai(name = "Tus-Resumable")] version: Header<Option<String>>,
    ) -> ApiResult<NoContent, TusErrors> {
        tus::require_version(version.0.as_deref())?;
        self.uploads.terminate(caller.0.id(), id.0).await?;
        Ok(NoContent::Done)
    }

    /// My uploads and their states; `ids=1,2` for some of them. Finished and failed uploads
    /// stay listed for 7 days.
    #[oai(path = "/uploads", method = "get", operation_id = "list_uploads")]
    async fn list(
        &self,
        caller: Caller,
        ids: Query<Option<String>>,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<UploadList>, DriveErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let ids = ids.0.as_deref().map(parse_ids).transpose()?;
        let (records, total) = self
            .uploads
            .list(caller.0.id(), ids, page.limit, page.offset)
            .await?;
        Ok(Json(UploadList {
            items: records.into_iter().map(UploadView::from).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// One of my uploads, whatever its state.
    #[oai(path = "/uploads/:id", method = "get", operation_id = "get_upload")]
    async fn get(&self, caller: Caller, id: Path<i64>) -> ApiResult<Json<UploadView>, DriveErrors> {
        Ok(Json(self.uploads.get(caller.0.id(), id.0).await?.into()))
    }
}

/// Answers an error only after reading (for a while) what the client is still sending,
/// so it sees the error rather than a reset connection.
async fn refuse<S>(
    error: super::respond::failure::Failure<S>,
    reader: &mut (impl tokio::io::AsyncRead + Unpin),
) -> super::respond::failure::Failure<S> {
    linger(tokio::io::copy(reader, &mut tokio::io::sink())).await;
    error
}

/// The upload a client declared in `Upload-Metadata`.
fn declare(raw: String, size: u64) -> Result<Declared, ApiError> {
    let mut metadata = tus::parse_metadata(&raw)?;
    let mut problems = BTreeMap::new();
    let filename = metadata.remove("filename").unwrap_or_default();
    if filename.is_empty() {
        problems.insert(
            "filename".into(),
            "Upload-Metadata must carry a filename".into(),
        );
    }
    let parent = match metadata.remove("parent_id").filter(|p| !p.is_empty()) {
        None => None,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                problems.insert("parent_id".into(), "must be a folder id".into());
                None
            }
        },
    };
    let policy = match metadata.remove("on_conflict").filter(|p| !p.is_empty()) {
        None => OnConflict::default(),
        Some(name) => OnConflict::parse(&name).unwrap_or_else(|| {
            problems.insert(
                "on_conflict".into(),
                "must be rename, overwrite or fail".into(),
            );
            OnConflict::default()
        }),
    };
    let modified_at = match metadata.remove("mtime").filter(|m| !m.is_empty()) {
        None => None,
        Some(text) => parse_mtime(&text)
            .filter(|&t| check_mtime(t).is_ok())
            .or_else(|| {
                problems.insert(
                    "mtime".into(),
                    format!("must be decimal unix seconds from 0 to {MAX_MTIME}"),
                );
                None
            }),
    };
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    Ok(Declared {
        name: FileName::parse(&filename)?,
        parent: parent.map(EntryId),
        policy,
        size,
        metadata: raw,
        modified_at,
    })
}

/// `1,2,3`: ids of 1 to 18 digits joined by commas (the OpenAPI pattern says the same);
/// an empty list names none.
fn parse_ids(text: &str) -> Result<Vec<i64>, ApiError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let digits = |id: &str| (1..=18).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    text.split(',')
        .map(|id| match digits(id) {
            true => id.parse().map_err(|_| bad_ids()),
            false => Err(bad_ids()),
        })
        .collect()
}

fn bad_ids() -> ApiError {
    ApiError::bad_request("ids must be integers joined by commas, like 1,2,3")
}

fn expiry(record: &UploadRecord) -> Option<String> {
    record
        .status
        .is_open()
        .then(|| http_date(record.expires_at))
}
