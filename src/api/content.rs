//! A file's bytes: download, raw content, safe preview, preview info, thumbnails and
//! signed links. Every byte response carries `nosniff` and a sandboxing CSP, and its type
//! is chosen by the server (SPEC §5).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::header;
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::security::{Caller, FileAccess};
use super::respond::failure::{ApiResult, ContentErrors, DriveWriteErrors};
use super::respond::models::time;
use super::routes::Mode;
use super::ApiTags;
use crate::blob::{BlobAt, StoreUnavailable};
use crate::error::ApiError;
use crate::http::byte_serving::{self, DispositionKind, Planned, Resource};
use crate::http::safe_headers::safe_headers;
use crate::http::zipstream::{stream_zip, ZipItem};
use crate::ids::{EntryId, UserId};
use crate::service::drive::EntryRecord;
use crate::service::drive::{Drive, DriveError};
use crate::service::links::{LinkSigner, DEFAULT_TTL_S, MAX_TTL_S};
use crate::service::media::{self};
use crate::service::{AccountError, AuthError};

/// A streamed file body (or a 206/304/416 about it).
pub struct FileBody(pub(crate) Response);

impl IntoResponse for FileBody {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for FileBody {
    fn meta() -> MetaResponses {
        // The file's own type (chosen by the server), `application/zip` for a folder, or
        // `multipart/byteranges`. `application/octet-stream` (unknown binaries) comes
        // first because clients generated from the document read `*/*` bodies as nothing.
        let binary = || {
            ["application/octet-stream", "*/*"]
                .map(|content_type| MetaMediaType {
                    content_type,
                    schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                        "string", "binary",
                    ))),
                })
                .into()
        };
        let response = |status, description, content| MetaResponse {
            description,
            status: Some(status),
            status_range: None,
            content,
            headers: Vec::new(),
        };
        MetaResponses {
            responses: vec![
                response(
                    200,
                    "The whole file, with `ETag`, `Last-Modified` and `Accept-Ranges: bytes`.",
                    binary(),
                ),
                response(
                    206,
                    "The requested range(s) (`Content-Range`, or `multipart/byteranges`).",
                    binary(),
                ),
                response(
                    304,
                    "Not modified (`If-None-Match` / `If-Modified-Since`).",
                    Vec::new(),
                ),
                response(
                    416,
                    "`range_not_satisfiable`, with `Content-Range: bytes */SIZE`.",
                    Vec::new(),
                ),
            ],
        }
    }

    fn register(_registry: &mut Registry) {}
}

/// What the preview route can do with a file, and where its bytes are.
#[derive(Debug, Object)]
pub struct PreviewInfo {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub mime_type: String,
    pub category: String,
    /// False for office formats and unknown binaries: the preview route then downloads.
    pub can_preview: bool,
    pub extension: String,
    pub preview_url: String,
    pub content_url: String,
    pub download_url: String,
    /// Null unless the file is a raster image.
    #[oai(nullable)]
    pub thumbnail_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LinkRequest {
    /// Lifetime in seconds, 1 to 604800 (7 days); default 3600.
    pub expires_in_s: Option<i64>,
}

/// A link that opens this one file's bytes without other credentials until it expires.
#[derive(Debug, Object)]
pub struct SignedLink {
    /// `/api/v1/files/{id}/content?sig=...&exp=...` (also valid on `/download`).
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

pub struct ContentApi {
    pub drive: Arc<Drive>,
    pub links: Arc<LinkSigner>,
}

#[OpenApi(tag = "ApiTags::Files")]
impl ContentApi {
    /// Download as an attachment (RFC 6266 `filename*` for any name); Range and
    /// conditional requests are honoured. A folder downloads as a zip streamed as it is
    /// written (files stored uncompressed, so its Content-Length is exact).
    // Also answered, when it qualifies, by the fast lane (routes::FAST_LANE).
    #[oai(
        path = "/files/:id/download",
        method = "get",
        operation_id = "download_file"
    )]
    async fn download(
        &self,
        req: &Request,
        access: FileAccess,
        id: Path<i64>,
        exp: Query<Option<i64>>,
    ) -> ApiResult<FileBody, ContentErrors> {
        let entry = self.open(access, EntryId(id.0), exp.0).await?;
        if entry.is_folder {
            return self.zip(&entry).await;
        }
        self.serve(req, &entry, Mode::Download).await
    }

    /// The raw bytes, inline. Types a browser could run as a page (HTML, SVG, XML, …) are
    /// served as `text/plain`.
    // Also answered, when it qualifies, by the fast lane (routes::FAST_LANE).
    #[oai(
        path = "/files/:id/content",
        method = "get",
        operation_id = "get_file_content"
    )]
    async fn content(
        &self,
        req: &Request,
        access: FileAccess,
        id: Path<i64>,
        exp: Query<Option<i64>>,
    ) -> ApiResult<FileBody, ContentErrors> {
        let entry = self.open(access, EntryId(id.0), exp.0).await?;
        if entry.is_folder {
            return Err(ApiError::not_found().into());
        }
        self.serve(req, &entry, Mode::Content).await
    }

    /// Inline rendering for the browser: images, video, audio and PDF as themselves, text
    /// and code as `text/plain; charset=utf-8`, anything else as a download.
    #[oai(
        path = "/files/:id/preview",
        method = "get",
        operation_id = "preview_file"
    )]
    async fn preview(
        &self,
        req: &Request,
        caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<FileBody, ContentErrors> {
        let entry = self.file(caller.0.id(), EntryId(id.0)).await?;
        self.serve(req, &entry, Mode::Preview).await
    }

    /// How a file can be previewed, and the URLs of its bytes.
    #[oai(
        path = "/files/:id/preview-info",
        method = "get",
        operation_id = "get_preview_info"
    )]
    async fn preview_info(
        &self,
        caller: Caller,
        id: Path<i64>,
    ) -> ApiResult<Json<PreviewInfo>, ContentErrors> {
        let entry = self.file(caller.0.id(), EntryId(id.0)).await?;
        let info = media::describe(&entry.name, entry.mime_type.as_deref());
        let base = format!("/api/v1/files/{}", entry.id);
        Ok(Json(PreviewInfo {
            id: entry.id,
            name: entry.name.clone(),
            size: entry.size,
            can_preview: media::can_preview(&info),
            thumbnail_url: media::is_thumbnailable(&info).then(|| format!("{base}/thumbnail")),
            mime_type: info.mime_type,
            category: info.category.as_str().to_owned(),
            extension: info.extension,
            preview_url: format!("{base}/preview"),
            content_url: format!("{base}/content"),
            download_url: format!("{base}/download"),
            created_at: time(entry.created_at),
        }))
    }

    /// A JPEG thumbnail of a raster image (`size` 64–1024, default 256), generated once and
    /// cached; 404 for anything else.
    #[oai(
        path = "/files/:id/thumbnail",
        method = "get",
        operation_id = "get_thumbnail"
    )]
    async fn thumbnail(
        &self,
        req: &Request,
        caller: Caller,
        id: Path<i64>,
        size: Query<Option<u32>>,
    ) -> ApiResult<FileBody, ContentErrors> {
        let size = thumbnail_size(size.0)?;
        let entry = self.file(caller.0.id(), EntryId(id.0)).await?;
        Ok(thumbnail(req, &self.drive, &entry, size).await?)
    }

    /// A signed link to this file's `content` (and `download`), valid without other
    /// credentials until it expires.
    #[oai(
        path = "/files/:id/link",
        method = "post",
        operation_id = "create_file_link"
    )]
    async fn link(
        &self,
        caller: Caller,
        id: Path<i64>,
        body: Json<Option<LinkRequest>>,
    ) -> ApiResult<Json<SignedLink>, DriveWriteErrors> {
        let ttl = body.0.and_then(|b| b.expires_in_s).unwrap_or(DEFAULT_TTL_S);
        if !(1..=MAX_TTL_S).contains(&ttl) {
            return Err(
                AccountError::field("expires_in_s", format!("must be 1 to {MAX_TTL_S}")).into(),
            );
        }
        let entry = self.file(caller.0.id(), EntryId(id.0)).await?;
        let expires_at = crate::service::now() + ttl;
        let sig = self.links.sign(EntryId(entry.id), expires_at);
        Ok(Json(SignedLink {
            url: format!(
                "/api/v1/files/{}/content?sig={sig}&exp={expires_at}",
                entry.id
            ),
            expires_at: time(expires_at),
        }))
    }
}

impl ContentApi {
    /// The caller's live entry (file or folder), or the file a valid signed link names.
    async fn open(
        &self,
        access: FileAccess,
        id: EntryId,
        exp: Option<i64>,
    ) -> Result<EntryRecord, ApiError> {
        match access {
            FileAccess::Caller(principal) => Ok(self.drive.record(principal.id(), id).await?),
            FileAccess::Link { sig } => {
                let exp = exp.ok_or(AuthError::InvalidToken)?;
                self.links.verify(id, exp, &sig, crate::service::now())?;
                Ok(self.drive.get_any(id).await?)
            }
        }
    }

    /// A live file of the owner (folders are only for `download`).
    async fn file(&self, owner: UserId, id: EntryId) -> Result<EntryRecord, ApiError> {
        let entry = self.drive.record(owner, id).await?;
        if entry.is_folder {
            return Err(ApiError::not_found());
        }
        Ok(entry)
    }

    async fn zip(&self, folder: &EntryRecord) -> ApiResult<FileBody, ContentErrors> {
        Ok(zip_folder(&self.drive, folder).await?)
    }

    async fn serve(
        &self,
        req: &Request,
        entry: &EntryRecord,
        mode: Mode,
    ) -> ApiResult<FileBody, ContentErrors> {
        Ok(serve_entry(req, &self.drive, entry, mode).await?)
    }
}

/// A stored file's bytes as `mode` serves them, with the server-chosen type and the safe
/// headers of SPEC §5 (the same rules for the owner's routes and public shares).
pub(crate) async fn serve_entry(
    req: &Request,
    drive: &Drive,
    entry: &EntryRecord,
    mode: Mode,
) -> Result<FileBody, ApiError> {
    let planned = plan_entry(req, drive, entry, mode).await?;
    Ok(FileBody(planned.into_response()))
}

/// What [`serve_entry`] answers, planned but not written (the wire lane writes it).
pub(crate) async fn plan_entry(
    req: &Request,
    drive: &Drive,
    entry: &EntryRecord,
    mode: Mode,
) -> Result<Planned, ApiError> {
    let shown = media::presentation(&entry.name, entry.mime_type.as_deref(), mode);
    let resource = Resource::stored(
        drive.blob_source(entry).await?,
        entry.size as u64,
        entry
            .sha256
            .as_ref()
            .map(|id| id.as_str().to_owned())
            .unwrap_or_default(),
        // The content's own time, as a file server sends a file's mtime (what sync tools and
        // "save as" keep). It may move backwards when content is replaced with an older
        // file; the strong ETag, which conditional requests prefer, still changes.
        entry.modified_at,
        &entry.name,
        shown.content_type,
        shown.inline,
    );
    byte_serving::plan(req, resource).await.map_err(|error| {
        if StoreUnavailable::is(&error) {
            return DriveError::Unavailable(error.to_string()).into();
        }
        tracing::error!(file = entry.id, %error, "stored bytes missing or short; run `hoard check`");
        ApiError::internal(&error)
    })
}

/// A folder as a zip, streamed as it is written; entries are stored uncompressed, so the
/// archive's exact length is known up front (Content-Length, but no Range).
pub(crate) async fn zip_folder(drive: &Drive, folder: &EntryRecord) -> Result<FileBody, ApiError> {
    let items = drive
        .archive_items(UserId(folder.owner_id), EntryId(folder.id))
        .await?;
    let name = format!("{}.zip", folder.name);
    let mut response = Response::builder()
        .content_type("application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            byte_serving::content_disposition(DispositionKind::Attachment, &name),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(stream_zip(items.into_iter().map(|item| ZipItem {
            path: item.path,
            blob: item.blob,
            size: item.size,
            modified: item.modified,
        })));
    for (name, value) in safe_headers(false) {
        response.headers_mut().insert(name, value);
    }
    Ok(FileBody(response))
}

/// The `size` of a thumbnail request (64–1024, default 256), else 422 naming the field.
pub(crate) fn thumbnail_size(size: Option<u32>) -> Result<u32, ApiError> {
    media::thumbnail_size(size).map_err(|_| {
        AccountError::field(
            "size",
            format!("must be {} to {}", media::THUMB_MIN, media::THUMB_MAX),
        )
        .into()
    })
}

/// A JPEG thumbnail of a raster image file, generated once and cached; 404 for anything else.
pub(crate) async fn thumbnail(
    req: &Request,
    drive: &Drive,
    entry: &EntryRecord,
    size: u32,
) -> Result<FileBody, ApiError> {
    let thumb = drive.thumbnail(entry, size).await?;
    let resource = Resource {
        blob: BlobAt::File(thumb.path),
        size: thumb.len,
        sha256: thumb.tag,
        // A rendering made by the server: its time is the server's (it never goes back).
        modified: entry.updated_at,
        content_type: "image/jpeg".into(),
        disposition: None,
        headers: safe_headers(false),
    };
    byte_serving::serve(req, resource)
        .await
        .map(FileBody)
        .map_err(|e| ApiError::internal(&e))
}
