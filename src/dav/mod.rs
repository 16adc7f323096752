//! The WebDAV door (SPEC §11): each signed-in user's tree at `/dav/`, RFC 4918 class 1
//! and 2 with RFC 4331 quotas, over the same services as the API (names, quota, trash,
//! dedup, durability, caches and revocation are theirs, not this module's).
//!
//! The protocol layer is Hoard's own rather than the `dav-server` crate's: that crate's
//! file-system trait is a POSIX-like open/seek/write handle, so GET could not use the one
//! RFC 9110 responder of `http::byte_serving`, PUT could not check the quota up front from
//! `X-Expected-Entity-Length`, DELETE of a folder would trash every item on its own instead
//! of the folder, its errors carry no SPEC §2 body and cannot say 400 for a bad name, and
//! `getlastmodified` is protected there (SPEC §11 lets PROPPATCH set it). See
//! docs/webdav.md.
//!
//! Parts: [`path`] (URLs ↔ drive paths), [`xml`] (bounded request parsing), [`conditions`]
//! (`If`, `Depth`, `Overwrite`, `Timeout`), [`respond`] (errors and multistatus), and one
//! file per group of methods.

mod bytes;
mod conditions;
mod copymove;
mod credentials;
mod locking;
mod path;
mod propfind;
mod proppatch;
mod props;
mod respond;
mod tree;
mod xml;

use std::sync::Arc;

use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::config::WebdavConfig;
use crate::error::ApiError;
use crate::ids::{EntryId, UserId};
use crate::service::auth::Auth;
use crate::service::drive::{Drive, DriveError, Entry};
use crate::service::locks::Locks;
use crate::service::Services;
use path::DavPath;
pub use path::PREFIX;
use respond::Failure;

/// The methods `/dav/` answers (`Allow`, and OPTIONS).
pub const METHODS: &str =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, LOCK, UNLOCK";

/// The WebDAV endpoint, mounted at [`PREFIX`].
#[derive(Clone)]
pub struct Dav(Arc<Inner>);

struct Inner {
    drive: Arc<Drive>,
    auth: Arc<Auth>,
    locks: Arc<Locks>,
    config: WebdavConfig,
}

/// One authenticated request: who, and which path of their tree.
struct Call<'a> {
    req: &'a Request,
    owner: UserId,
    path: DavPath,
}

/// What a path of the caller's tree names.
#[allow(clippy::large_enum_variant)] // one per request, never stored in bulk
#[derive(Debug, Clone)]
enum Target {
    Root,
    Entry(Entry),
    Missing,
}

impl Target {
    fn exists(&self) -> bool {
        !matches!(self, Target::Missing)
    }

    fn is_folder(&self) -> bool {
        match self {
            Target::Root => true,
            Target::Entry(e) => e.record.is_folder,
            Target::Missing => false,
        }
    }

    /// The entry id (None for the root and for a missing path).
    fn id(&self) -> Option<EntryId> {
        match self {
            Target::Entry(e) => Some(EntryId(e.record.id)),
            _ => None,
        }
    }
}

impl Dav {
    pub fn new(services: &Services) -> Self {
        Self(Arc::new(Inner {
            drive: services.drive.clone(),
            auth: services.auth.clone(),
            locks: services.locks.clone(),
            config: services.config.webdav.clone(),
        }))
    }

    async fn handle(&self, mut req: Request) -> Result<Response, Failure> {
        if req.method() == Method::OPTIONS {
            return Ok(respond::options());
        }
        let path_text = full_path(&req);
        if path_text == PREFIX && matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(respond::redirect(&format!("{PREFIX}/")));
        }
        let principal = credentials::principal(&self.0, &req).await?;
        let path = DavPath::from_request_path(&path_text)?;
        self.refuse_junk(&req, &path)?;
        let body = req.take_body();
        let call = Call {
            req: &req,
            owner: principal.id(),
            path,
        };
        self.dispatch(call, body).await
    }

    async fn dispatch(&self, call: Call<'_>, body: poem::Body) -> Result<Response, Failure> {
        match call.req.method().as_str() {
            "GET" | "HEAD" => self.get(&call).await,
            "PUT" => self.put(&call, body).await,
            "DELETE" => self.delete(&call).await,
            "MKCOL" => self.mkcol(&call, body).await,
            "COPY" => self.copy_or_move(&call, false).await,
            "MOVE" => self.copy_or_move(&call, true).await,
            "PROPFIND" => self.propfind(&call, body).await,
            "PROPPATCH" => self.proppatch(&call, body).await,
            "LOCK" => self.lock(&call, body).await,
            "UNLOCK" => self.unlock(&call).await,
            _ => Err(respond::method_not_allowed()),
        }
    }

    /// `webdav.ignore_system_files`: clients' junk names are 403 on every write.
    fn refuse_junk(&self, req: &Request, path: &DavPath) -> Result<(), Failure> {
        let writes = matches!(
            req.method().as_str(),
            "PUT" | "MKCOL" | "COPY" | "MOVE" | "LOCK" | "PROPPATCH"
        );
        let junk = |p: &DavPath| p.last().is_some_and(|n| is_system_file(n.as_str()));
        if !self.0.config.ignore_system_files || !writes {
            return Ok(());
        }
        let dest_junk = matches!(req.method().as_str(), "COPY" | "MOVE")
            && path::destination(req).is_ok_and(|d| junk(&d));
        if junk(path) || dest_junk {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this server refuses clients' system files (webdav.ignore_system_files)",
            )
            .into());
        }
        Ok(())
    }

    /// What `path` names in `owner`'s tree.
    async fn target(&self, owner: UserId, path: &DavPath) -> Result<Target, Failure> {
        if path.is_root() {
            return Ok(Target::Root);
        }
        match self.0.drive.resolve(owner, path.names.clone()).await {
            Ok(entry) => Ok(Target::Entry(entry)),
            Err(DriveError::NotFound) => Ok(Target::Missing),
            Err(other) => Err(other.into()),
        }
    }

    /// The folder a new entry at `path` would go into: 409 when it is missing or a file.
    async fn parent_folder(
        &self,
        owner: UserId,
        path: &DavPath,
    ) -> Result<Option<EntryId>, Failure> {
        let parent = path.parent().ok_or_else(respond::root_refused)?;
        match self.target(owner, &parent).await? {
            Target::Root => Ok(None),
            Target::Entry(e) if e.record.is_folder => Ok(Some(EntryId(e.record.id))),
            _ => Err(respond::conflict("the parent folder does not exist")),
        }
    }
}

/// The request's path with the mount prefix. The accept loop keeps the original URI;
/// a request built in-process (tests) has only the nested one, relative to the mount.
fn full_path(req: &Request) -> String {
    let original = req.original_uri().path();
    match original.starts_with(PREFIX) {
        true => original.to_owned(),
        false => format!("{PREFIX}{}", req.uri().path()),
    }
}

/// Names that Finder, Explorer and friends scatter beside real files.
pub fn is_system_file(name: &str) -> bool {
    name.starts_with("._")
        || ["desktop.ini", ".ds_store", "thumbs.db"].contains(&name.to_lowercase().as_str())
}

impl Endpoint for Dav {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(match self.handle(req).await {
            Ok(response) => response,
            Err(failure) => failure.into_response(),
        })
    }
}
