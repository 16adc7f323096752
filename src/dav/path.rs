//! Request paths under `/dav/` as drive paths, and drive paths back as hrefs. Each segment
//! is percent-decoded once and must be a valid name (SPEC §5): `..`, `.`, an encoded `/`
//! or a control character is 400, so no path can leave the user's tree.

use poem::http::{header, StatusCode};
use poem::Request;

use crate::error::ApiError;
use crate::service::drive::names::FileName;

/// Where the WebDAV tree is mounted.
pub const PREFIX: &str = "/dav";

/// A path in the caller's tree (empty: the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavPath {
    pub names: Vec<FileName>,
}

impl DavPath {
    #[cfg(test)]
    pub fn root() -> Self {
        Self { names: Vec::new() }
    }

    /// From a request path such as `/dav/a%20b/c/`.
    pub fn from_request_path(path: &str) -> Result<Self, ApiError> {
        let rest = path
            .strip_prefix(PREFIX)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "the path is outside /dav/",
                )
            })?;
        let mut names = Vec::new();
        for segment in rest.split('/').filter(|s| !s.is_empty()) {
            let decoded = percent_decode(segment)?;
            names.push(FileName::parse(&decoded).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_name", e.to_string())
            })?);
        }
        Ok(Self { names })
    }

    pub fn is_root(&self) -> bool {
        self.names.is_empty()
    }

    /// The lock key: `/a/b` (`/` for the root).
    pub fn key(&self) -> String {
        match self.is_root() {
            true => "/".to_owned(),
            false => self
                .names
                .iter()
                .map(|n| format!("/{}", n.as_str()))
                .collect(),
        }
    }

    pub fn parent(&self) -> Option<DavPath> {
        let (_, up) = self.names.split_last()?;
        Some(Self { names: up.to_vec() })
    }

    pub fn last(&self) -> Option<&FileName> {
        self.names.last()
    }

    /// Whether `other` is this path or below it.
    pub fn contains(&self, other: &DavPath) -> bool {
        other.names.starts_with(&self.names)
    }

    /// The href of this path; folders end in `/`.
    pub fn href(&self, folder: bool) -> String {
        let mut out = String::from(PREFIX);
        for name in &self.names {
            out.push('/');
            out.push_str(&percent_encode(name.as_str()));
        }
        if folder || self.is_root() {
            out.push('/');
        }
        out
    }
}

/// The href of a lock key (`/a/b`, names as stored): the inverse of [`DavPath::key`],
/// without parsing the names again.
pub fn key_href(key: &str, folder: bool) -> String {
    let mut out = String::from(PREFIX);
    for name in key.split('/').filter(|n| !n.is_empty()) {
        out.push('/');
        out.push_str(&percent_encode(name));
    }
    if folder || key == "/" {
        out.push('/');
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(segment: &str) -> Result<String, ApiError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ApiError::bad_request("a path holds a malformed percent-escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("a path is not UTF-8"))
}

/// The `Destination` header of COPY and MOVE as a path in the caller's tree: an absolute
/// URI must name this server (else 502, RFC 4918 §9.8.5), and its path must be under
/// `/dav/` (else 403).
pub fn destination(req: &Request) -> Result<DavPath, ApiError> {
    let value = req
        .headers()
        .get("destination")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("COPY and MOVE need a Destination header"))?;
    let uri: poem::http::Uri = value
        .parse()
        .map_err(|_| ApiError::bad_request("the Destination header is not a URI"))?;
    if let Some(authority) = uri.authority() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !authority.as_str().eq_ignore_ascii_case(host) {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                "the Destination is on another server",
            ));
        }
    }
    DavPath::from_request_path(uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_to_names_and_encode_back() {
        let p = DavPath::from_request_path("/dav/a%20b/%E6%8A%A5%E5%91%8A.pdf").unwrap();
        assert_eq!(p.key(), "/a b/报告.pdf");
        assert_eq!(p.href(false), "/dav/a%20b/%E6%8A%A5%E5%91%8A.pdf");
        assert_eq!(
            DavPath::from_request_path("/dav/").unwrap(),
            DavPath::root()
        );
        assert_eq!(
            DavPath::from_request_path("/dav").unwrap().href(true),
            "/dav/"
        );
    }

    #[test]
    fn traversal_and_bad_escapes_are_refused() {
        for bad in [
            "/dav/..",
            "/dav/a/../b",
            "/dav/%2e%2e/x",
            "/dav/a%2Fb",
            "/dav/%zz",
            "/dav/%ff",
            "/davx",
            "/api/v1/files",
        ] {
            assert!(DavPath::from_request_path(bad).is_err(), "{bad}");
        }
    }
}
