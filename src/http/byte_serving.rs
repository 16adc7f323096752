//! The one responder behind every byte-serving route (download, content, preview, share
//! download): RFC 9110 validators, conditionals (§13), ranges (§14) and `multipart/byteranges`,
//! streaming from disk in 256 KiB `pread`s on the blocking pool, never buffering the file.
//! Small single-segment bodies already in the page cache are read on the request's own
//! thread instead: a hop to a producer thread costs more than the read.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use poem::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use poem::{Body, Request, Response};
use tokio::sync::mpsc;

/// Bytes per disk read and per body frame.
const CHUNK: usize = 256 << 10;
/// Single-segment bodies up to this size are tried from the page cache inline.
const INLINE_MAX: u64 = 256 << 10;
/// More range-specs than this and the `Range` header is ignored (200 with the whole body).
const MAX_RANGES: usize = 16;

/// A stored file as the byte routes serve it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Blob file on disk.
    pub path: PathBuf,
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

/// The disposition type of [`content_disposition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispositionKind {
    Attachment,
    Inline,
}

/// RFC 6266 / RFC 8187 `Content-Disposition` for any Unicode name:
/// `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>`.
/// Control and bidi-override characters are dropped from both forms; the fallback replaces
/// non-ASCII, `"`, `\` and `%` with `_`. An empty name becomes `download`.
pub fn content_disposition(kind: DispositionKind, name: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let clean: String = name
        .chars()
        .filter(|&c| !c.is_control() && !bidi(c))
        .collect();
    let clean = match clean.trim() {
        "" => "download",
        s => s,
    };
    let fallback: String = clean
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            ' '..='~' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(clean.len() * 3);
    for b in clean.bytes() {
        // attr-char, RFC 8187 §3.2.1
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    let kind = match kind {
        DispositionKind::Attachment => "attachment",
        DispositionKind::Inline => "inline",
    };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Answers GET or HEAD for `resource` according to RFC 9110 and the request's `Range` and
/// conditional headers. Errors only for I/O: a missing blob, or one shorter than `size`, is
/// an `Err` before any response exists (the caller maps it); a blob that shrinks while being
/// sent fails the body, so a client never gets a short body under a full Content-Length.
pub async fn serve(req: &Request, mut resource: Resource) -> io::Result<Response> {
    let extra = std::mem::take(&mut resource.headers);
    let (status, mut headers, body) = respond(req, resource).await?;
    headers.extend(extra);
    let body = if req.method() == Method::HEAD {
        Body::empty()
    } else {
        body
    };
    let mut resp = Response::builder().status(status).body(body);
    *resp.headers_mut() = headers;
    Ok(resp)
}

async fn respond(req: &Request, r: Resource) -> io::Result<(StatusCode, HeaderMap, Body)> {
    let (size, tag, modified) = (r.size, r.sha256.as_str(), r.modified);
    let content_type = value(r.content_type)?;
    let disposition = r.disposition.map(value).transpose()?;
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, value(format!("\"{tag}\""))?);
    h.insert(header::LAST_MODIFIED, value(http_date(modified))?);
    let file = open_checked(&r.path, size)?;

    let (rh, get) = (req.headers(), req.method() == Method::GET);
    match preconditions(rh, tag, modified, get || req.method() == Method::HEAD) {
        None => {}
        Some(StatusCode::NOT_MODIFIED) => return Ok((StatusCode::NOT_MODIFIED, h, Body::empty())),
        Some(status) => {
            let body = json(&mut h, "precondition_failed", "a precondition failed");
            return Ok((status, h, body));
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
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, h, body));
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
            (StatusCode::PARTIAL_CONTENT, plan, ctype)
        }
    };
    let remaining: u64 = plan
        .iter()
        .map(|s| match s {
            Segment::Mem(b) => b.len() as u64,
            Segment::File(_, len) => *len,
        })
        .sum();
    h.insert(header::CONTENT_TYPE, ctype);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(remaining));
    if let Some(d) = disposition {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    Ok((status, h, body_of(file, plan, remaining)))
}

fn value(s: String) -> io::Result<HeaderValue> {
    HeaderValue::try_from(s).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// The SPEC's error body; sets its Content-Type and Content-Length.
fn json(h: &mut HeaderMap, code: &'static str, message: &str) -> Body {
    let json = crate::error::ApiError::new(StatusCode::OK, code, message).json();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(json.len()));
    Body::from(json)
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (clamped to the years 1970–9999
/// that the format and `httpdate` cover).
pub fn http_date(unix: i64) -> String {
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let seconds = unix.clamp(0, LAST).unsigned_abs();
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// An HTTP-date in any of the three forms of RFC 9110 §5.6.7, as unix seconds.
fn parse_http_date(s: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(s.trim()).ok()?;
    let seconds = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// The value of a header that must occur once (`None` when absent, repeated or not text).
fn one(h: &HeaderMap, name: HeaderName) -> Option<&str> {
    let mut all = h.get_all(name).iter();
    match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().map(str::trim),
        _ => None,
    }
}

/// Does an `If-Match` / `If-None-Match` list (all its field lines) match our tag? `None` when
/// absent. `strong` selects strong comparison (weak tags never match). A malformed member ends
/// the parse of its field line.
fn tag_list_matches(h: &HeaderMap, name: HeaderName, ours: &str, strong: bool) -> Option<bool> {
    let mut present = false;
    for v in h.get_all(name) {
        present = true;
        let Ok(mut s) = v.to_str() else { continue };
        if s.trim() == "*" {
            return Some(true);
        }
        loop {
            s = s.trim_start_matches([' ', '\t', ',']);
            let weak = s.starts_with("W/");
            let Some(rest) = s.strip_prefix("W/").unwrap_or(s).strip_prefix('"') else {
                break;
            };
            let Some((tag, tail)) = rest.split_once('"') else {
                break;
            };
            if tag == ours && !(strong && weak) {
                return Some(true);
            }
            s = tail;
        }
    }
    present.then_some(false)
}

/// RFC 9110 §13.2.2 steps 1–4: `None` to proceed, else 304 or 412.
fn preconditions(h: &HeaderMap, ours: &str, modified: i64, safe: bool) -> Option<StatusCode> {
    let since = |name| one(h, name).and_then(parse_http_date);
    if let Some(hit) = tag_list_matches(h, header::IF_MATCH, ours, true) {
        if !hit {
            return Some(StatusCode::PRECONDITION_FAILED);
        }
    } else if since(header::IF_UNMODIFIED_SINCE).is_some_and(|t| modified > t) {
        return Some(StatusCode::PRECONDITION_FAILED);
    }
    match tag_list_matches(h, header::IF_NONE_MATCH, ours, false) {
        Some(true) if safe => Some(StatusCode::NOT_MODIFIED),
        Some(true) => Some(StatusCode::PRECONDITION_FAILED),
        Some(false) => None,
        None if safe && since(header::IF_MODIFIED_SINCE).is_some_and(|t| modified <= t) => {
            Some(StatusCode::NOT_MODIFIED)
        }
        None => None,
    }
}

/// RFC 9110 §13.1.5: true when there is no `If-Range`, or it is our strong ETag, or an
/// HTTP-date equal to `Last-Modified`.
fn if_range_holds(h: &HeaderMap, ours: &str, modified: i64) -> bool {
    if !h.contains_key(header::IF_RANGE) {
        return true;
    }
    let v = one(h, header::IF_RANGE).unwrap_or("W/");
    match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(tag) => tag == ours,
        None => !v.starts_with("W/") && parse_http_date(v) == Some(modified),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Ranges {
    Full,
    Unsatisfiable,
    /// Sorted, disjoint, non-adjacent inclusive ranges, at least one.
    Parts(Vec<(u64, u64)>),
}

/// RFC 9110 §14.1–14.2 for a representation of `size` bytes. Invalid syntax, too many
/// ranges, overlaps or a total above `size` all give `Full` (never amplified).
pub fn plan_ranges(h: &HeaderMap, size: u64) -> Ranges {
    let Some(mut parts) = one(h, header::RANGE).and_then(|v| resolve(v, size)) else {
        return Ranges::Full;
    };
    if parts.is_empty() {
        return Ranges::Unsatisfiable;
    }
    parts.sort_unstable();
    // Overlaps first: disjoint parts within the file cannot sum past `size`.
    if parts.windows(2).any(|w| w[1].0 <= w[0].1) {
        return Ranges::Full;
    }
    let total = parts
        .iter()
        .fold(0u64, |sum, (a, b)| sum.saturating_add(b - a + 1));
    if total > size {
        return Ranges::Full;
    }
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
    for (a, b) in parts {
        match merged.last_mut() {
            Some(last) if last.1 + 1 == a => last.1 = b,
            _ => merged.push((a, b)),
        }
    }
    Ranges::Parts(merged)
}

/// The satisfiable ranges of a valid `bytes=` set of 1–16 specs, end clamped to `size - 1`;
/// `None` when the header is to be ignored.
pub fn resolve(spec: &str, size: u64) -> Option<Vec<(u64, u64)>> {
    let (unit, set) = spec.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let num = |s: &str| -> Option<u64> {
        let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().unwrap_or(u64::MAX))
    };
    let items = set.split(',').map(|s| s.trim_matches([' ', '\t']));
    let items: Vec<&str> = items
        .filter(|s| !s.is_empty())
        .take(MAX_RANGES + 1)
        .collect();
    if items.is_empty() || items.len() > MAX_RANGES {
        return None;
    }
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        let (first, last) = item.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            let n = num(last)?;
            if n > 0 && size > 0 {
                parts.push((size - n.min(size), size - 1));
            }
        } else {
            let a = num(first)?;
            let b = if last.is_empty() {
                u64::MAX
            } else {
                num(last)?
            };
            if b < a {
                return None;
            }
            if a < size {
                parts.push((a, b.min(size - 1)));
            }
        }
    }
    Some(parts)
}

/// The blob, checked against the size the DB promises. Opened on the request's thread:
/// an open and an fstat of a hashed path are metadata lookups, cheaper than a thread hop.
fn open_checked(path: &Path, size: u64) -> io::Result<std::fs::File> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "blob is not a regular file",
        ));
    }
    if meta.len() < size {
        let msg = format!("blob {} has {} of {size} bytes", path.display(), meta.len());
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
    }
    Ok(file)
}

/// The body for `plan`: one small segment straight from the page cache when it is all
/// there, otherwise streamed by a producer thread.
fn body_of(file: std::fs::File, plan: Vec<Segment>, remaining: u64) -> Body {
    if let [Segment::File(start, len)] = plan[..] {
        if len <= INLINE_MAX {
            if let Some(bytes) = read_cached(&file, len as usize, start) {
                return Body::from_bytes(bytes);
            }
        }
    }
    crate::http::body::produced(remaining, move |tx| pump(&file, plan, &tx))
}

/// `want` bytes at `offset` if the page cache holds all of them (`RWF_NOWAIT` never waits
/// for the disk); `None` sends the caller to the producer thread.
fn read_cached(file: &std::fs::File, want: usize, offset: u64) -> Option<Bytes> {
    use rustix::io::{preadv2, ReadWriteFlags};
    let mut buf = vec![0u8; want];
    let mut done = 0;
    while done < want {
        let mut slices = [std::io::IoSliceMut::new(&mut buf[done..])];
        match preadv2(
            file,
            &mut slices,
            offset + done as u64,
            ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) | Err(_) => return None,
            Ok(n) => done += n,
        }
    }
    Some(Bytes::from(buf))
}

/// One piece of a response body: literal bytes, or `len` bytes of the file from `start`.
enum Segment {
    Mem(Bytes),
    File(u64, u64),
}

/// The reader thread: sends the plan's bytes in order, each file read a fresh `CHUNK` buffer
/// filled by `pread` (no zeroing, no copy). Stops quietly when the receiver is gone.
fn pump(file: &std::fs::File, plan: Vec<Segment>, tx: &mpsc::Sender<io::Result<Bytes>>) {
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::Sequential);
    for seg in plan {
        let (start, end) = match seg {
            Segment::File(start, len) => (start, start + len),
            Segment::Mem(b) => match tx.blocking_send(Ok(b)) {
                Ok(()) => continue,
                Err(_) => return,
            },
        };
        let mut at = start;
        while at < end {
            let want = (end - at).min(CHUNK as u64) as usize;
            let chunk = read_at(file, want, at);
            at += want as u64;
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    }
}

/// Exactly `want` bytes from `offset`, read into the spare capacity of a new buffer.
fn read_at(file: &std::fs::File, want: usize, offset: u64) -> io::Result<Bytes> {
    let mut buf = Vec::with_capacity(want);
    while buf.len() < want {
        let at = offset + buf.len() as u64;
        match rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), at) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn range_sets() {
        use Ranges::*;
        let r = |spec: &str, size| plan_ranges(&hm(&[(header::RANGE, spec)]), size);
        let list = |n: u64| {
            (0..n)
                .map(|i| format!("{0}-{0}", i * 2))
                .collect::<Vec<_>>()
        };
        assert_eq!(r("BYTES= 5- , ", 100), Parts(vec![(5, 99)]));
        assert_eq!(r("bytes=-1000", 100), Parts(vec![(0, 99)]));
        assert_eq!(
            r("bytes=90-99999999999999999999999", 100),
            Parts(vec![(90, 99)])
        );
        assert_eq!(r("bytes=20-29,0-9", 100), Parts(vec![(0, 9), (20, 29)]));
        assert_eq!(r("bytes=0-9,10-19", 100), Parts(vec![(0, 19)]));
        assert_eq!(r("bytes=0-9,200-300,-0", 100), Parts(vec![(0, 9)]));
        assert_eq!(r("bytes=99999999999999999999999-", 100), Unsatisfiable);
        assert_eq!(r("bytes=0-,-5", 0), Unsatisfiable);
        for bad in [
            "bytes=",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=1",
            "bytes=--1",
            "bytes=0-,-1",
        ] {
            assert_eq!(r(bad, 100), Full, "{bad}");
        }
        assert_eq!(r(&format!("bytes={}", list(17).join(",")), 100), Full);
        assert!(
            matches!(r(&format!("bytes={}", list(16).join(",")), 100), Parts(p) if p.len() == 16)
        );
        let mut two = hm(&[(header::RANGE, "bytes=0-1")]);
        two.append(header::RANGE, HeaderValue::from_static("bytes=2-3"));
        assert_eq!(plan_ranges(&two, 100), Full);
    }

    #[test]
    fn dates_and_tags() {
        let t = 784111777;
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
        let m = |v: &str, strong| {
            tag_list_matches(
                &hm(&[(header::IF_MATCH, v)]),
                header::IF_MATCH,
                "ab",
                strong,
            )
        };
        assert_eq!(m("W/\"ab\"", false), Some(true));
        assert_eq!(m("W/\"ab\"", true), Some(false));
        assert_eq!(m("\"x\", W/\"y\" ,\"ab\"", true), Some(true));
        assert_eq!(m("ab", false), Some(false));
        let pre = |k: HeaderName, v: &str, safe| preconditions(&hm(&[(k, v)]), "ab", 1000, safe);
        let failed = Some(StatusCode::PRECONDITION_FAILED);
        assert_eq!(pre(header::IF_MATCH, "W/\"ab\"", true), failed);
        assert_eq!(pre(header::IF_MATCH, "\"ab\"", true), None);
        assert_eq!(
            pre(header::IF_UNMODIFIED_SINCE, &http_date(999), true),
            failed
        );
        assert_eq!(pre(header::IF_NONE_MATCH, "*", false), failed);
        let both = [
            (header::IF_NONE_MATCH, "\"zz\""),
            (header::IF_MODIFIED_SINCE, &http_date(5000)),
        ];
        assert_eq!(preconditions(&hm(&both), "ab", 1000, true), None);
    }
}
