//! The one responder behind every byte-serving route (download, content, preview, share
//! download): RFC 9110 validators, conditionals (§13), ranges (§14) and `multipart/byteranges`,
//! streaming from disk in 256 KiB `pread`s on the blocking pool, never buffering the file.
//! Small single-segment bodies already in the page cache are read on the request's own
//! thread instead: a hop to a producer thread costs more than the read.
//!
//! Parts: [`conditionals`] (validators, §13), [`ranges`] (§14), [`reading`] (the blob to a
//! body), [`disposition`] (RFC 6266 names).

mod conditionals;
mod disposition;
mod ranges;
mod reading;
mod remote;

use std::io;
use std::sync::Arc;

use poem::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use poem::{Body, Request, Response};

pub use conditionals::http_date;
use conditionals::{if_range_holds, preconditions};
pub use disposition::{content_disposition, DispositionKind};
pub use ranges::{plan_ranges, resolve, Ranges};
pub use reading::Segment;
use reading::{body_of, checked, open_checked};

use bytes::Bytes;

use crate::blob::{BlobAt, OpenBlob, RangeRead};

/// A stored file as the byte routes serve it.
#[derive(Clone)]
pub struct Resource {
    /// Where the bytes are.
    pub blob: BlobAt,
    /// Expected size (from the DB); exactly this many bytes are served.
    pub size: u64,
    /// Hex sha256; the strong ETag is `"<sha256>"`.
    pub sha256: String,
    /// Unix seconds, for `Last-Modified`.
    pub modified: i64,
    /// Chosen by the caller.
    pub content_type: String,
    /// Full `Content-Disposition` value, if any.
    pub disposition: Option<String>,
    /// Extra headers (CSP, nosniff…), set last on every response, so the caller wins.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Resource {
    /// A stored file with the safe headers of SPEC §5 (`nosniff`, a sandboxing CSP): its
    /// type and inline-ness as the caller decided, `name` in `Content-Disposition`.
    pub fn stored(
        blob: BlobAt,
        size: u64,
        sha256: String,
        modified: i64,
        name: &str,
        content_type: String,
        inline: bool,
    ) -> Self {
        let kind = match inline {
            true => DispositionKind::Inline,
            false => DispositionKind::Attachment,
        };
        let pdf_inline = inline && content_type == "application/pdf";
        Self {
            blob,
            size,
            sha256,
            modified,
            content_type,
            disposition: Some(content_disposition(kind, name)),
            headers: crate::http::safe_headers::safe_headers(pdf_inline),
        }
    }
}

/// Answers GET or HEAD for `resource` according to RFC 9110 and the request's `Range` and
/// conditional headers. Errors only for I/O: a missing blob, or one shorter than `size`, is
/// an `Err` before any response exists (the caller maps it); a blob that shrinks while being
/// sent fails the body, so a client never gets a short body under a full Content-Length.
pub async fn serve(req: &Request, resource: Resource) -> io::Result<Response> {
    Ok(plan(req, resource).await?.into_response())
}

/// A response decided but not yet written: what [`serve`] answers, in a form that a
/// transport may also write itself (`http::wire` sends `File` bodies with `sendfile`).
pub struct Planned {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: PlannedBody,
}

/// Where a planned response's body comes from.
pub enum PlannedBody {
    /// None (HEAD, 304).
    Empty,
    /// Bytes in memory (an error's JSON).
    Bytes(Bytes),
    /// Pieces of an open blob file, between literal pieces (`multipart/byteranges`).
    File(Arc<OpenBlob>, Vec<Segment>),
    /// A stream (a blob read by ranges from an object store).
    Stream(Body),
}

impl Planned {
    /// The response as poem sends it.
    pub fn into_response(self) -> Response {
        let body = match self.body {
            PlannedBody::Empty => Body::empty(),
            PlannedBody::Bytes(bytes) => Body::from_bytes(bytes),
            PlannedBody::File(file, plan) => body_of(file, plan),
            PlannedBody::Stream(body) => body,
        };
        let mut resp = Response::builder().status(self.status).body(body);
        *resp.headers_mut() = self.headers;
        resp
    }
}

/// The answer [`serve`] gives, as a [`Planned`] response.
pub async fn plan(req: &Request, mut resource: Resource) -> io::Result<Planned> {
    let extra = std::mem::take(&mut resource.headers);
    let mut planned = respond(req, resource).await?;
    planned.headers.extend(extra);
    if req.method() == Method::HEAD {
        planned.body = PlannedBody::Empty;
    }
    Ok(planned)
}

async fn respond(req: &Request, r: Resource) -> io::Result<Planned> {
    let (size, tag, modified) = (r.size, r.sha256.as_str(), r.modified);
    let content_type = value(r.content_type)?;
    let disposition = r.disposition.map(value).transpose()?;
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, value(format!("\"{tag}\""))?);
    h.insert(header::LAST_MODIFIED, value(http_date(modified))?);
    // A remote blob is trusted to have the size its row says until it is read: a short one
    // fails the body. A file is checked now, before any answer exists.
    let blob = match r.blob {
        BlobAt::File(path) => Blob::File(open_checked(&path, size)?),
        BlobAt::Open(open) => Blob::File(checked(open, size)?),
        BlobAt::Remote(remote) => Blob::Remote(remote),
    };
    let answer = |status, headers, body| Planned {
        status,
        headers,
        body,
    };

    let (rh, get) = (req.headers(), req.method() == Method::GET);
    match preconditions(rh, tag, modified, get || req.method() == Method::HEAD) {
        None => {}
        Some(StatusCode::NOT_MODIFIED) => {
            return Ok(answer(StatusCode::NOT_MODIFIED, h, PlannedBody::Empty))
        }
        Some(status) => {
            let body = json(&mut h, "precondition_failed", "a precondition failed");
            return Ok(answer(status, h, body));
        }
    }
    let ranges = match get && if_range_holds(rh, tag, modified) {
        true => plan_ranges(rh, size),
        false => Ranges::Full,
    };
    let (status, plan, ctype) = match ranges {
        Ranges::Full => (StatusCode::OK, vec![Segment::File(0, size)], content_type),
        Ranges::Unsatisfiable => {
            h.insert(header::CONTENT_RANGE, value(format!("bytes */{size}"))?);
            let msg = format!("range not satisfiable: the file is {size} bytes");
            let body = json(&mut h, "range_not_satisfiable", &msg);
            return Ok(answer(StatusCode::RANGE_NOT_SATISFIABLE, h, body));
        }
        Ranges::Parts(parts) if parts.len() == 1 => {
            let (a, b) = parts[0];
            h.insert(
                header::CONTENT_RANGE,
                value(format!("bytes {a}-{b}/{size}"))?,
            );
            let plan = vec![Segment::File(a, b - a + 1)];
            (StatusCode::PARTIAL_CONTENT, plan, content_type)
        }
        Ranges::Parts(parts) => {
            let (plan, ctype) = byteranges(parts, size, &content_type)?;
            (StatusCode::PARTIAL_CONTENT, plan, ctype)
        }
    };
    h.insert(header::CONTENT_TYPE, ctype);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length(&plan)));
    if let Some(d) = disposition {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    let body = match blob {
        Blob::File(file) => PlannedBody::File(file, plan),
        // HEAD reads nothing from the store.
        Blob::Remote(_) if !get => PlannedBody::Empty,
        Blob::Remote(remote) => PlannedBody::Stream(remote::body_of(remote, plan).await?),
    };
    Ok(answer(status, h, body))
}

/// The bytes a plan sends.
pub fn length(plan: &[Segment]) -> u64 {
    plan.iter()
        .map(|s| match s {
            Segment::Mem(b) => b.len() as u64,
            Segment::File(_, len) => *len,
        })
        .sum()
}

/// Where a response's blob bytes come from.
enum Blob {
    File(Arc<OpenBlob>),
    Remote(Arc<dyn RangeRead>),
}

/// A `multipart/byteranges` body of `parts` (each with its own `Content-Type` and
/// `Content-Range`) and its Content-Type with a random boundary.
fn byteranges(
    parts: Vec<(u64, u64)>,
    size: u64,
    content_type: &HeaderValue,
) -> io::Result<(Vec<Segment>, HeaderValue)> {
    let boundary = format!("{:032x}", rand::random::<u128>());
    let ct = content_type.to_str().unwrap_or("application/octet-stream");
    let mut plan = Vec::with_capacity(parts.len() * 2 + 1);
    for (i, (a, b)) in parts.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { "\r\n" };
        let part = format!("{sep}--{boundary}\r\nContent-Type: {ct}\r\n");
        let part = format!("{part}Content-Range: bytes {a}-{b}/{size}\r\n\r\n");
        plan.extend([Segment::Mem(part.into()), Segment::File(a, b - a + 1)]);
    }
    plan.push(Segment::Mem(format!("\r\n--{boundary}--\r\n").into()));
    let ctype = value(format!("multipart/byteranges; boundary={boundary}"))?;
    Ok((plan, ctype))
}

fn value(s: String) -> io::Result<HeaderValue> {
    HeaderValue::try_from(s).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// The SPEC's error body; sets its Content-Type and Content-Length.
fn json(h: &mut HeaderMap, code: &'static str, message: &str) -> PlannedBody {
    let json = crate::error::ApiError::new(StatusCode::OK, code, message).json();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(json.len()));
    PlannedBody::Bytes(json.into())
}

#[cfg(test)]
mod tests;
