//! Reading one request head off the raw socket with `httparse`, and deciding whether the
//! lane may answer it. Everything the lane does not fully understand is the full path's:
//! another HTTP version, a body or a framing header, `Expect`, an upgrade, a header that
//! `http` would not accept, too many headers, a head that does not fit [`MAX_HEAD`].

use poem::http::{HeaderName, HeaderValue, Method, Uri, Version};
use poem::web::{LocalAddr, RemoteAddr};
use poem::Request;

/// Headers a lane request may have.
const MAX_HEADERS: usize = 32;
/// The longest head the lane reads; a longer one is handed over as far as it was read.
pub const MAX_HEAD: usize = 16 << 10;

/// What the bytes read so far hold.
pub enum Head {
    /// Not a whole head yet.
    Partial,
    /// A request the lane may answer, `len` bytes of head long.
    Ours(Box<Parsed>),
    /// For the full path.
    Theirs,
}

/// A request the lane may answer.
pub struct Parsed {
    pub request: Request,
    /// Bytes of the head, up to and including its blank line.
    pub len: usize,
    /// The client asked to close the connection after this answer.
    pub close: bool,
}

/// The request at the start of `bytes`, if it is one the lane may take: `wants` is asked
/// about the method and target before anything else is looked at.
pub fn parse(
    bytes: &[u8],
    wants: impl Fn(&Method, &str) -> bool,
    addrs: (&LocalAddr, &RemoteAddr),
) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Theirs,
    };
    let method = match req.method {
        Some("GET") => Method::GET,
        Some("HEAD") => Method::HEAD,
        _ => return Head::Theirs,
    };
    let target = req.path.unwrap_or_default();
    if req.version != Some(1) || !wants(&method, target) {
        return Head::Theirs;
    }
    match build(method, target, req.headers, addrs) {
        Some((request, close)) => Head::Ours(Box::new(Parsed {
            request,
            len,
            close,
        })),
        None => Head::Theirs,
    }
}

/// The poem request the full path would have built, and whether the client asked to close;
/// `None` for anything the lane leaves alone.
fn build(
    method: Method,
    target: &str,
    headers: &[httparse::Header<'_>],
    (local, remote): (&LocalAddr, &RemoteAddr),
) -> Option<(Request, bool)> {
    let mut req = poem::http::Request::new(());
    *req.method_mut() = method;
    *req.uri_mut() = Uri::try_from(target).ok()?;
    *req.version_mut() = Version::HTTP_11;
    let mut close = false;
    for header in headers {
        let name = HeaderName::from_bytes(header.name.as_bytes()).ok()?;
        let value = HeaderValue::from_bytes(header.value).ok()?;
        if framing(&name) {
            return None;
        }
        if name == poem::http::header::CONNECTION {
            close |= connection_closes(&value)?;
        }
        req.headers_mut().append(name, value);
    }
    let scheme = poem::http::uri::Scheme::HTTP;
    let (parts, ()) = req.into_parts();
    let parts = poem::RequestParts::from((parts, local.clone(), remote.clone(), scheme));
    Some((Request::from_parts(parts, poem::Body::empty()), close))
}

/// Headers that give a request a body, ask for an interim answer or change the protocol.
fn framing(name: &HeaderName) -> bool {
    use poem::http::header::{CONTENT_LENGTH, EXPECT, TE, TRANSFER_ENCODING, UPGRADE};
    [CONTENT_LENGTH, TRANSFER_ENCODING, EXPECT, UPGRADE, TE].contains(name)
}

/// `Some(true)` for `close`, `Some(false)` for `keep-alive`; anything else (an upgrade,
/// a list) is the full path's.
fn connection_closes(value: &HeaderValue) -> Option<bool> {
    let value = value.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("close") {
        Some(true)
    } else if value.eq_ignore_ascii_case("keep-alive") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::Addr;

    fn parse_text(text: &str) -> Head {
        let addr: std::net::SocketAddr = ([127, 0, 0, 1], 1).into();
        let local = LocalAddr(Addr::SocketAddr(addr));
        let remote = RemoteAddr(Addr::SocketAddr(addr));
        let wants = |_: &Method, target: &str| target.starts_with("/f/");
        parse(text.as_bytes(), wants, (&local, &remote))
    }

    fn kind(head: &Head) -> &'static str {
        match head {
            Head::Partial => "partial",
            Head::Ours(_) => "ours",
            Head::Theirs => "theirs",
        }
    }

    #[test]
    fn only_whole_bodiless_http_1_1_gets_and_heads_of_wanted_targets_are_taken() {
        let cases = [
            ("GET /f/1 HTTP/1.1\r\nHost: x\r\n\r\n", "ours"),
            ("HEAD /f/1 HTTP/1.1\r\n\r\n", "ours"),
            ("GET /f/1 HTTP/1.1\r\nHost: x\r\n", "partial"),
            ("GET /f/1 HTTP/1.0\r\n\r\n", "theirs"),
            ("POST /f/1 HTTP/1.1\r\n\r\n", "theirs"),
            ("GET /g/1 HTTP/1.1\r\n\r\n", "theirs"),
            ("GET /f/1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "theirs"),
            (
                "GET /f/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "theirs",
            ),
            (
                "GET /f/1 HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
                "theirs",
            ),
            (
                "GET /f/1 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
                "theirs",
            ),
            ("GET /f/1 HTTP/1.1\r\nBad Name: x\r\n\r\n", "theirs"),
            ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "theirs"),
        ];
        for (text, want) in cases {
            assert_eq!(kind(&parse_text(text)), want, "{text:?}");
        }
        let many = (0..40).map(|i| format!("X-{i}: y\r\n")).collect::<String>();
        let text = format!("GET /f/1 HTTP/1.1\r\n{many}\r\n");
        assert_eq!(kind(&parse_text(&text)), "theirs");
    }

    #[test]
    fn the_request_is_the_one_the_client_sent() {
        let text =
            "GET /f/1 HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nConnection: close\r\n\r\nGET";
        let Head::Ours(parsed) = parse_text(text) else {
            panic!("not taken");
        };
        assert_eq!(parsed.len, text.len() - 3);
        assert!(parsed.close);
        let req = parsed.request;
        assert_eq!((req.method(), req.uri().path()), (&Method::GET, "/f/1"));
        assert_eq!(
            req.headers().get("range").map(|v| v.as_bytes()),
            Some(&b"bytes=1-2"[..])
        );
        assert!(req.remote_addr().as_socket_addr().is_some());
    }
}
