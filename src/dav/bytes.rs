//! GET and HEAD through the one RFC 9110 responder (Range, strong ETag, 304, the safe
//! headers of SPEC §5), and PUT through the drive's streaming upload (hashing, fsync,
//! quota up front and while streaming): an interrupted PUT leaves the old content.

use poem::http::{header, StatusCode};
use poem::{Body, Response};

use super::respond::{self, Failure};
use super::{Call, Dav, Target};
use crate::blob::StoreUnavailable;
use crate::error::ApiError;
use crate::http::byte_serving::{self, Resource};
use crate::http::request_body::{declared_length, Watched};
use crate::service::drive::upload::Outcome;
use crate::service::drive::versions::Source;
use crate::service::drive::{check_mtime, parse_mtime, DriveError, Entry};
use crate::service::media::{self, Mode};

impl Dav {
    pub(super) async fn get(&self, call: &Call<'_>) -> Result<Response, Failure> {
        let entry = match self.target(call.owner, &call.path).await? {
            Target::Missing => return Err(ApiError::not_found().into()),
            Target::Root => return Ok(folder_page()),
            Target::Entry(e) if e.record.is_folder => return Ok(folder_page()),
            Target::Entry(e) => e,
        };
        let record = &entry.record;
        let shown = media::presentation(&record.name, record.mime_type.as_deref(), Mode::Download);
        let blob = self
            .0
            .drive
            .blob_source(record)
            .await
            .map_err(ApiError::from)?;
        let resource = Resource::stored(
            blob,
            record.size as u64,
            etag_hash(&entry),
            record.modified_at,
            &record.name,
            shown.content_type,
            false,
        );
        byte_serving::serve(call.req, resource).await.map_err(|error| {
            if StoreUnavailable::is(&error) {
                return ApiError::from(DriveError::Unavailable(error.to_string())).into();
            }
            tracing::error!(file = record.id, %error, "stored bytes missing or short; run `hoard check`");
            ApiError::internal(&error).into()
        })
    }

    pub(super) async fn put(&self, call: &Call<'_>, body: Body) -> Result<Response, Failure> {
        let target = self.target(call.owner, &call.path).await?;
        if target.is_folder() {
            return Err(respond::method_not_allowed());
        }
        self.parent_folder(call.owner, &call.path).await?;
        self.guard(call, &target, false, !target.exists()).await?;
        http_preconditions(call, &target)?;
        let declared = declared_length(call.req).or_else(|| expected_length(call));
        let mtime = oc_mtime(call)?;
        let mut reader = Watched::new(body.into_async_read());
        let put = self
            .0
            .drive
            .put_stream(
                call.owner,
                call.path.names.clone(),
                declared,
                (mtime, Source::WebDav),
                &mut reader,
            )
            .await;
        let (entry, outcome) = match put {
            Ok(done) => done,
            Err(error) => {
                reader.refuse(call.req).await;
                return Err(error.into());
            }
        };
        let status = match outcome {
            Outcome::Created => StatusCode::CREATED,
            Outcome::Replaced => StatusCode::NO_CONTENT,
        };
        let mut response = Response::builder()
            .status(status)
            .header(header::ETAG, format!("\"{}\"", etag_hash(&entry)));
        if mtime.is_some() {
            response = response.header("X-OC-MTime", "accepted");
        }
        Ok(response.finish())
    }
}

/// The hex sha256 of a file's content ("" for a folder).
pub(super) fn etag_hash(entry: &Entry) -> String {
    entry
        .record
        .sha256
        .as_ref()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default()
}

/// Finder streams chunked bodies and says their length in `X-Expected-Entity-Length`.
fn expected_length(call: &Call<'_>) -> Option<u64> {
    call.req
        .headers()
        .get("x-expected-entity-length")
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
}

/// `X-OC-Mtime: <unix seconds>` (ownCloud clients, rclone).
fn oc_mtime(call: &Call<'_>) -> Result<Option<i64>, Failure> {
    let Some(value) = call.req.headers().get("x-oc-mtime") else {
        return Ok(None);
    };
    let seconds = value
        .to_str()
        .ok()
        .and_then(|v| parse_mtime(v.trim()))
        .ok_or_else(|| ApiError::bad_request("X-OC-Mtime must be unix seconds"))?;
    Ok(Some(check_mtime(seconds)?))
}

/// `If-Match` / `If-None-Match` on a PUT (RFC 9110 §13.1.1–2): 412 when they fail.
fn http_preconditions(call: &Call<'_>, target: &Target) -> Result<(), Failure> {
    let current = match target {
        Target::Entry(e) => Some(format!("\"{}\"", etag_hash(e))),
        _ => None,
    };
    let matches = |value: &str| {
        value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" && current.is_some() || current.as_deref() == Some(tag))
    };
    let header = |name: &str| call.req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("if-match").is_some_and(|v| !matches(v)) {
        return Err(respond::precondition_failed("If-Match does not match"));
    }
    if header("if-none-match").is_some_and(matches) {
        return Err(respond::precondition_failed("If-None-Match matches"));
    }
    Ok(())
}

/// GET of a folder: a short page pointing at the web UI (clients list with PROPFIND).
fn folder_page() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(
            "<!doctype html><meta charset=utf-8><title>Hoard WebDAV</title>\
             <p>This is a WebDAV folder of Hoard. Mount it as a network drive, or open \
             <a href=\"/\">the web interface</a>.</p>",
        )
}
