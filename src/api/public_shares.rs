//! `/public/shares/{token}`: a share as anyone holding its token sees it, without an account
//! (SPEC §7) — metadata and folder listing, download (a folder as a zip), inline content
//! and thumbnails for the `/s/{token}` page, and the password unlock.
//!
//! Byte responses follow the owner's routes exactly (server-chosen type, `nosniff`, sandbox
//! CSP; scriptable types never as HTML) and add `Referrer-Policy: no-referrer` and
//! `Cache-Control: private, no-cache`, so every reuse is revalidated against the share.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::Request;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::content::{self, FileBody};
use super::extract::cookies;
use super::extract::security::client_info;
use super::extract::text::Text;
use super::files::Kind;
use super::respond::failure::{ApiResult, PublicShareErrors, ShareUnlockErrors};
use super::respond::models::time;
use super::routes::Mode;
use super::ApiTags;
use crate::http::completion::{before_last_bytes, Step};
use crate::service::drive::EntryRecord;
use crate::service::media;
use crate::service::shares::access::{OpenShare, Proof, Target, UNLOCK_TTL_S};
use crate::service::shares::SharedItem;
use crate::service::shares::{ShareError, Shares};

/// The unlock cookie, scoped by `Path` to one share's routes.
pub const SHARE_COOKIE: &str = "hoard_share";
const PASSWORD_HEADER: &str = "x-share-password";

/// A shared file or folder (or an entry inside a shared folder) as the public sees it.
#[derive(Debug, Clone, Object)]
#[oai(rename = "PublicShare")]
pub struct PublicShareView {
    pub name: String,
    pub kind: Kind,
    /// Bytes; for a folder, of every file below it.
    pub size: i64,
    /// Null for folders.
    #[oai(nullable)]
    pub mime_type: Option<String>,
    /// `image`, `video`, `audio`, `document`, `text` or `other`; null for folders.
    #[oai(nullable)]
    pub category: Option<String>,
    /// Whether `content` shows it inline (false for folders, office files, unknown types).
    pub can_preview: bool,
    /// When the share stops working; null: never.
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    /// Folders only: every entry below, depth-first, each with its `path` relative to the
    /// share (use it as `?path=`). At most 10 000 entries.
    #[oai(skip_serializing_if_is_none)]
    pub items: Option<Vec<PublicItem>>,
    /// Folders only: true when `items` stopped at its cap (list sub-folders with `?path=`).
    #[oai(skip_serializing_if_is_none)]
    pub truncated: Option<bool>,
}

/// An entry inside a shared folder; it carries no id of the owner's tree.
#[derive(Debug, Clone, Object)]
pub struct PublicItem {
    /// Relative to the share, e.g. `/photos/cat.jpg`.
    pub path: String,
    pub name: String,
    pub kind: Kind,
    pub size: i64,
    #[oai(nullable)]
    pub mime_type: Option<String>,
    #[oai(nullable)]
    pub category: Option<String>,
    pub can_preview: bool,
    /// When the server last changed the entry.
    pub updated_at: DateTime<Utc>,
    /// The content's modification time as the uploader's client knew it (see `Entry`).
    pub modified_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UnlockRequest {
    pub password: Text,
}

#[derive(ApiResponse)]
pub enum Unlocked {
    /// The share's metadata. When it has a password, `Set-Cookie: hoard_share=…` (HttpOnly,
    /// SameSite=Strict, `Path=/api/v1/public/shares/{token}`, one hour) proves the password
    /// to this share's routes until it expires or the password changes.
    #[oai(status = 200)]
    Ok(
        Json<PublicShareView>,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
}

pub struct PublicSharesApi {
    pub shares: Arc<Shares>,
}

#[OpenApi(tag = "ApiTags::Shares")]
impl PublicSharesApi {
    /// A share's metadata, and for a folder its listing. With `path`, the entry at that path
    /// inside a shared folder. No account needed; a password-protected share needs
    /// `X-Share-Password` or the cookie from `unlock` (else 401 `password_required`; wrong:
    /// `invalid_credentials`, throttled like login). Expired or out of downloads: 410.
    #[oai(
        path = "/public/shares/:token",
        method = "get",
        operation_id = "get_public_share"
    )]
    async fn get(
        &self,
        req: &Request,
        token: Path<String>,
        path: Query<Option<String>>,
        #[oai(name = "X-Share-Password")] _password: Header<Option<String>>,
    ) -> ApiResult<Json<PublicShareView>, PublicShareErrors> {
        let (open, target) = self.resolve(req, &token.0, path.0.as_deref()).await?;
        Ok(Json(self.view(&open, &target).await?))
    }

    /// Exchange the password for a short-lived cookie scoped to this share (for pages,
    /// `<img>` and `<video>`, which cannot send headers). Throttled like login.
    #[oai(
        path = "/public/shares/:token/unlock",
        method = "post",
        operation_id = "unlock_public_share"
    )]
    async fn unlock(
        &self,
        req: &Request,
        token: Path<String>,
        body: Json<UnlockRequest>,
    ) -> ApiResult<Unlocked, ShareUnlockErrors> {
        let ip = client_info(req).ip;
        let (open, target, cookie) = self.shares.unlock(&token.0, &body.password, &ip).await?;
        let view = self.view(&open, &target).await?;
        let secure = cookies::is_https(req);
        let path = format!("/api/v1/public/shares/{}", token.0);
        let cookie = cookie.map(|value| {
            cookies::set(
                SHARE_COOKIE,
                &value,
                &path,
                UNLOCK_TTL_S as u64,
                true,
                secure,
            )
        });
        Ok(Unlocked::Ok(Json(view), cookie))
    }

    /// Download the shared file, or with `path` a file inside a shared folder, as an
    /// attachment (Range, HEAD and conditional requests as on `/files/{id}/download`); a
    /// folder downloads as a streamed zip.
    ///
    /// `max_downloads` counts a `GET` answered 200 whose body is sent to its end (the count
    /// is taken as the last bytes go out, on this route and on `content`). `HEAD`, metadata,
    /// thumbnails, 206 Range answers and 304s never count; a transfer that breaks off does
    /// not count. Race rule: the limit is checked when a request starts and again, atomically,
    /// when its last bytes go out — of several downloads running at once when the limit is
    /// reached, only as many complete as downloads were left; the others fail before their
    /// last bytes, so `downloads` never passes `max_downloads`.
    #[oai(
        path = "/public/shares/:token/download",
        method = "get",
        operation_id = "download_public_share"
    )]
    async fn download(
        &self,
        req: &Request,
        token: Path<String>,
        path: Query<Option<String>>,
        #[oai(name = "X-Share-Password")] _password: Header<Option<String>>,
    ) -> ApiResult<FileBody, PublicShareErrors> {
        let (open, target) = self.resolve(req, &token.0, path.0.as_deref()).await?;
        let drive = self.shares.drive();
        let body = if target.entry.is_folder {
            content::zip_folder(drive, &target.entry).await?
        } else {
            content::serve_entry(req, drive, &target.entry, Mode::Download).await?
        };
        Ok(self.finish(req, &open, body, true))
    }

    /// The bytes of a shared file (or a file inside a shared folder) inline, for previews:
    /// images, video, audio and PDF as themselves, text, HTML, SVG and anything scriptable as
    /// `text/plain`, with `nosniff` and a sandbox CSP. A full `GET` counts as a download.
    #[oai(
        path = "/public/shares/:token/content",
        method = "get",
        operation_id = "get_public_share_content"
    )]
    async fn content(
        &self,
        req: &Request,
        token: Path<String>,
        path: Query<Option<String>>,
        #[oai(name = "X-Share-Password")] _password: Header<Option<String>>,
    ) -> ApiResult<FileBody, PublicShareErrors> {
        let (open, entry) = self.resolve_file(req, &token.0, path.0.as_deref()).await?;
        let body = content::serve_entry(req, self.shares.drive(), &entry, Mode::Content).await?;
        Ok(self.finish(req, &open, body, true))
    }

    /// A JPEG thumbnail of a shared raster image (`size` 64–1024, default 256); 404 for
    /// anything else. Never counts as a download.
    #[oai(
        path = "/public/shares/:token/thumbnail",
        method = "get",
        operation_id = "get_public_share_thumbnail"
    )]
    async fn thumbnail(
        &self,
        req: &Request,
        token: Path<String>,
        path: Query<Option<String>>,
        size: Query<Option<u32>>,
        #[oai(name = "X-Share-Password")] _password: Header<Option<String>>,
    ) -> ApiResult<FileBody, PublicShareErrors> {
        let size = content::thumbnail_size(size.0)?;
        let (open, entry) = self.resolve_file(req, &token.0, path.0.as_deref()).await?;
        let body = content::thumbnail(req, self.shares.drive(), &entry, size).await?;
        Ok(self.finish(req, &open, body, false))
    }
}

impl PublicSharesApi {
    /// The share `token` names, opened with what the request presents (the password header
    /// or the unlock cookie), and the entry at `path` in it.
    async fn resolve(
        &self,
        req: &Request,
        token: &str,
        path: Option<&str>,
    ) -> Result<(OpenShare, Target), ShareError> {
        self.shares.resolve(token, &proof(req), path).await
    }

    /// `resolve` for the file at `path`; a folder is `NotFound` here.
    async fn resolve_file(
        &self,
        req: &Request,
        token: &str,
        path: Option<&str>,
    ) -> Result<(OpenShare, EntryRecord), ShareError> {
        let (open, target) = self.resolve(req, token, path).await?;
        if target.entry.is_folder {
            return Err(ShareError::NotFound);
        }
        Ok((open, target.entry))
    }

    async fn view(&self, open: &OpenShare, target: &Target) -> Result<PublicShareView, ShareError> {
        let entry = &target.entry;
        let mut view = PublicShareView {
            name: entry.name.clone(),
            kind: Kind::File,
            size: entry.size,
            mime_type: None,
            category: None,
            can_preview: false,
            expires_at: open.share.expires_at.map(time),
            has_password: open.share.password_hash.is_some(),
            items: None,
            truncated: None,
        };
        if entry.is_folder {
            let listing = self.shares.listing(target).await?;
            view.kind = Kind::Folder;
            view.size = listing.size;
            view.items = Some(listing.items.into_iter().map(PublicItem::from).collect());
            view.truncated = Some(listing.truncated);
        } else {
            let info = media::describe(&entry.name, entry.mime_type.as_deref());
            view.can_preview = media::can_preview(&info);
            view.category = Some(info.category.as_str().to_owned());
            view.mime_type = Some(info.mime_type);
        }
        Ok(view)
    }

    /// Adds the public headers and, when `countable`, for a `GET` answered 200 the download
    /// count taken as the last bytes go out.
    fn finish(&self, req: &Request, open: &OpenShare, body: FileBody, countable: bool) -> FileBody {
        let mut response = body.0;
        let headers = response.headers_mut();
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
        }
        if countable && req.method() == Method::GET && response.status() == StatusCode::OK {
            let (shares, id) = (self.shares.clone(), open.share.id);
            let step = move || -> Step { Box::pin(count(shares, id)) };
            let body = response.take_body();
            response.set_body(before_last_bytes(body, step));
        }
        FileBody(response)
    }
}

async fn count(shares: Arc<Shares>, id: i64) -> bool {
    match shares.count_download(id).await {
        Ok(counted) => counted,
        Err(error) => {
            // The bytes are good; a database hiccup must not fail a finished download.
            tracing::warn!(share = id, %error, "could not count a share download");
            true
        }
    }
}

/// What the request presents for a password-protected share.
fn proof(req: &Request) -> Proof {
    let password = req
        .headers()
        .get(PASSWORD_HEADER)
        .and_then(|v| String::from_utf8(v.as_bytes().to_vec()).ok());
    Proof {
        password,
        cookie: cookies::get(req, SHARE_COOKIE).map(str::to_owned),
        ip: client_info(req).ip,
    }
}

impl From<SharedItem> for PublicItem {
    fn from(item: SharedItem) -> Self {
        let info =
            (!item.is_folder).then(|| media::describe(&item.name, item.mime_type.as_deref()));
        Self {
            path: item.path,
            name: item.name,
            kind: if item.is_folder {
                Kind::Folder
            } else {
                Kind::File
            },
            size: item.size,
            can_preview: info.as_ref().is_some_and(media::can_preview),
            mime_type: info.as_ref().map(|i| i.mime_type.clone()),
            category: info.map(|i| i.category.as_str().to_owned()),
            updated_at: time(item.updated_at),
            modified_at: time(item.modified_at),
        }
    }
}
