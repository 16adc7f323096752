//! RFC 9110 validators and conditional requests (§13): `If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since`, `If-Range`, and the HTTP-date format.

use poem::http::{header, HeaderMap, HeaderName, StatusCode};

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (clamped to the years 1970–9999
/// that the format and `httpdate` cover).
pub fn http_date(unix: i64) -> String {
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let seconds = unix.clamp(0, LAST).unsigned_abs();
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// An HTTP-date in any of the three forms of RFC 9110 §5.6.7, as unix seconds.
pub(super) fn parse_http_date(s: &str) -> Option<i64> {
    let at = httpdate::parse_http_date(s.trim()).ok()?;
    let seconds = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// The value of a header that must occur once (`None` when absent, repeated or not text).
pub(super) fn one(h: &HeaderMap, name: HeaderName) -> Option<&str> {
    let mut all = h.get_all(name).iter();
    match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().map(str::trim),
        _ => None,
    }
}

/// Does an `If-Match` / `If-None-Match` list (all its field lines) match our tag? `None` when
/// absent. `strong` selects strong comparison (weak tags never match). A malformed member ends
/// the parse of its field line.
pub(super) fn tag_list_matches(
    h: &HeaderMap,
    name: HeaderName,
    ours: &str,
    strong: bool,
) -> Option<bool> {
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
pub(super) fn preconditions(
    h: &HeaderMap,
    ours: &str,
    modified: i64,
    safe: bool,
) -> Option<StatusCode> {
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
pub(super) fn if_range_holds(h: &HeaderMap, ours: &str, modified: i64) -> bool {
    if !h.contains_key(header::IF_RANGE) {
        return true;
    }
    let v = one(h, header::IF_RANGE).unwrap_or("W/");
    match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(tag) => tag == ours,
        None => !v.starts_with("W/") && parse_http_date(v) == Some(modified),
    }
}
