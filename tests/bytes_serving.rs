//! `hoard::http::byte_serving::serve` behind a tiny poem `Route`, driven by `poem::test::TestClient`:
//! statuses, headers and exact bytes for RFC 9110 ranges, conditionals and HEAD.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hoard::http::byte_serving::{content_disposition, serve, DispositionKind, Resource};
use poem::endpoint::make;
use poem::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use poem::test::TestClient;
use poem::{get, Request, Route};

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const ETAG: &str = "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"";
const MODIFIED: i64 = 1_700_000_000;
const LAST_MODIFIED: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
const DISPOSITION: &str = "attachment; filename=\"a.bin\"; filename*=UTF-8''a.bin";

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

struct Fx {
    _dir: tempfile::TempDir,
    res: Resource,
    /// The blob file `res` serves.
    path: std::path::PathBuf,
    data: Vec<u8>,
    cli: TestClient<Route>,
}

fn fixture(len: usize) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let data = content(len);
    let path = dir.path().join("blob");
    std::fs::write(&path, &data).unwrap();
    let res = Resource {
        blob: hoard::blob::BlobAt::File(path.clone()),
        size: len as u64,
        sha256: SHA.into(),
        modified: MODIFIED,
        content_type: "application/octet-stream".into(),
        disposition: Some(DISPOSITION.into()),
        headers: vec![(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        )],
    };
    let ep = |res: Resource| {
        make(move |req: Request| {
            let res = res.clone();
            async move {
                serve(&req, res)
                    .await
                    .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::IM_A_TEAPOT))
            }
        })
    };
    let route = Route::new()
        .at("/f", get(ep(res.clone())).head(ep(res.clone())))
        .at("/g", get(ep(res.clone())));
    Fx {
        _dir: dir,
        res,
        path,
        data,
        cli: TestClient::new(route),
    }
}

async fn send(fx: &Fx, method: Method, hdrs: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    send_to(fx, method, "/f", hdrs).await
}

async fn send_to(
    fx: &Fx,
    m: Method,
    uri: &str,
    hdrs: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut rb = fx.cli.request(m, uri);
    for (k, v) in hdrs {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().await.0;
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.into_body().into_vec().await.unwrap())
}

fn hv(h: &HeaderMap, name: HeaderName) -> Option<&str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// The headers every 200/206 carries; `len` is the Content-Length.
fn assert_common(h: &HeaderMap, ctype: &str, len: usize) {
    assert_eq!(hv(h, header::ACCEPT_RANGES), Some("bytes"));
    assert_eq!(hv(h, header::ETAG), Some(ETAG));
    assert_eq!(hv(h, header::LAST_MODIFIED), Some(LAST_MODIFIED));
    assert_eq!(hv(h, header::CONTENT_TYPE), Some(ctype));
    assert_eq!(hv(h, header::CONTENT_DISPOSITION), Some(DISPOSITION));
    assert_eq!(
        hv(h, header::CONTENT_LENGTH),
        Some(len.to_string().as_str())
    );
    assert_eq!(
        hv(h, HeaderName::from_static("x-content-type-options")),
        Some("nosniff")
    );
}

const OCTET: &str = "application/octet-stream";

async fn assert_full(fx: &Fx, hdrs: &[(&str, &str)]) {
    let (s, h, body) = send(fx, Method::GET, hdrs).await;
    assert_eq!(s, StatusCode::OK, "{hdrs:?}");
    assert_common(&h, OCTET, fx.data.len());
    assert!(h.get(header::CONTENT_RANGE).is_none());
    assert_eq!(body, fx.data);
}

async fn assert_single(fx: &Fx, hdrs: &[(&str, &str)], a: usize, b: usize) {
    let (s, h, body) = send(fx, Method::GET, hdrs).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT, "{hdrs:?}");
    assert_common(&h, OCTET, b - a + 1);
    let cr = format!("bytes {a}-{b}/{}", fx.data.len());
    assert_eq!(hv(&h, header::CONTENT_RANGE), Some(cr.as_str()));
    assert_eq!(body, &fx.data[a..=b]);
}

async fn assert_416(fx: &Fx, range: &str) {
    let (s, h, body) = send(fx, Method::GET, &[("range", range)]).await;
    assert_eq!(s, StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
    let n = fx.data.len();
    assert_eq!(
        hv(&h, header::CONTENT_RANGE),
        Some(format!("bytes */{n}").as_str())
    );
    assert_eq!(hv(&h, header::CONTENT_TYPE), Some("application/json"));
    assert_eq!(
        hv(&h, HeaderName::from_static("x-content-type-options")),
        Some("nosniff")
    );
    let want = format!(
        "{{\"code\":\"range_not_satisfiable\",\"message\":\"range not satisfiable: the file is {n} bytes\"}}"
    );
    assert_eq!(
        hv(&h, header::CONTENT_LENGTH),
        Some(want.len().to_string().as_str())
    );
    assert_eq!(String::from_utf8(body).unwrap(), want);
}

async fn assert_304(fx: &Fx, hdrs: &[(&str, &str)]) {
    for m in [Method::GET, Method::HEAD] {
        let (s, h, body) = send(fx, m, hdrs).await;
        assert_eq!(s, StatusCode::NOT_MODIFIED, "{hdrs:?}");
        assert_eq!(hv(&h, header::ETAG), Some(ETAG));
        assert_eq!(hv(&h, header::LAST_MODIFIED), Some(LAST_MODIFIED));
        assert_eq!(
            hv(&h, HeaderName::from_static("x-content-type-options")),
            Some("nosniff")
        );
        assert!(h.get(header::CONTENT_LENGTH).is_none() && h.get(header::CONTENT_TYPE).is_none());
        assert!(body.is_empty());
    }
}

#[tokio::test]
async fn full_get_and_head() {
    let fx = fixture(1000);
    assert_full(&fx, &[]).await;
    for uri in ["/f", "/g"] {
        let (s, h, body) = send_to(&fx, Method::HEAD, uri, &[]).await;
        assert_eq!(s, StatusCode::OK);
        assert_common(&h, OCTET, 1000);
        assert!(body.is_empty());
        // HEAD never answers a range (RFC 9110 §14.2: Range is defined for GET only).
        let (s, h, body) = send_to(&fx, Method::HEAD, "/f", &[("range", "bytes=0-9")]).await;
        assert_eq!(s, StatusCode::OK);
        assert_common(&h, OCTET, 1000);
        assert!(body.is_empty());
    }
}

#[tokio::test]
async fn single_ranges() {
    let fx = fixture(1000);
    assert_single(&fx, &[("range", "bytes=0-99")], 0, 99).await;
    assert_single(&fx, &[("range", "bytes=10-10")], 10, 10).await;
    assert_single(&fx, &[("range", "bytes=-100")], 900, 999).await;
    assert_single(&fx, &[("range", "bytes=-5000")], 0, 999).await;
    assert_single(&fx, &[("range", "bytes=990-")], 990, 999).await;
    assert_single(&fx, &[("range", "bytes=500-99999999999")], 500, 999).await;
    assert_single(&fx, &[("range", "bytes=0-9, 10-19")], 0, 19).await; // adjacent: merged
    assert_single(&fx, &[("range", "bytes=1000-2000, 5-6")], 5, 6).await; // unsatisfiable part dropped
}

#[tokio::test]
async fn unsatisfiable_ranges() {
    let fx = fixture(1000);
    assert_416(&fx, "bytes=1000-").await;
    assert_416(&fx, "bytes=2000-3000").await;
    assert_416(&fx, "bytes=-0").await;
    assert_416(&fx, "bytes=1000-1001, -0").await;
}

#[tokio::test]
async fn ignored_ranges_give_the_whole_body() {
    let fx = fixture(1000);
    let seventeen: Vec<String> = (0..17).map(|i| format!("{0}-{0}", i * 10)).collect();
    let seventeen = format!("bytes={}", seventeen.join(","));
    for r in [
        "bytes=10-5",
        "items=0-1",
        "garbage",
        "bytes=",
        "bytes=1-2-3",
        "bytes=x-",
        "bytes=0-99,50-149",
        "bytes=0-,-1",
        "bytes=0-999,0-999",
        seventeen.as_str(),
    ] {
        assert_full(&fx, &[("range", r)]).await;
    }
}

/// Splits a multipart/byteranges body into (headers, data) parts, checking its framing.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let (open, sep, close) = (
        format!("--{boundary}\r\n"),
        format!("\r\n--{boundary}"),
        format!("\r\n--{boundary}--\r\n"),
    );
    assert!(body.starts_with(open.as_bytes()) && body.ends_with(close.as_bytes()));
    let inner = &body[open.len()..body.len() - close.len()];
    let mut parts = Vec::new();
    let mut rest = inner;
    loop {
        let head_end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(rest[..head_end].to_vec()).unwrap();
        let cr = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: bytes "))
            .unwrap();
        let (a, b) = cr.split_once('/').unwrap().0.split_once('-').unwrap();
        let len = b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1;
        let data_start = head_end + 4;
        parts.push((head, rest[data_start..data_start + len].to_vec()));
        rest = &rest[data_start + len..];
        if rest.is_empty() {
            return parts;
        }
        assert!(rest.starts_with(sep.as_bytes()));
        rest = &rest[sep.len() + 2..];
    }
}

#[tokio::test]
async fn multiple_ranges_are_multipart() {
    let fx = fixture(1000);
    for (range, want) in [
        ("bytes=0-9,20-29", vec![(0, 9), (20, 29)]),
        (
            "bytes=500-509,0-0,998-",
            vec![(0, 0), (500, 509), (998, 999)],
        ),
        (
            "bytes=-10, 100-199 ,0-0,1-1,5-6",
            vec![(0, 1), (5, 6), (100, 199), (990, 999)],
        ),
    ] {
        let (s, h, body) = send(&fx, Method::GET, &[("range", range)]).await;
        assert_eq!(s, StatusCode::PARTIAL_CONTENT, "{range}");
        let ct = hv(&h, header::CONTENT_TYPE).unwrap().to_owned();
        let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap();
        assert_common(&h, &ct, body.len());
        assert!(h.get(header::CONTENT_RANGE).is_none());
        let parts = parse_multipart(&body, boundary);
        assert_eq!(parts.len(), want.len());
        for ((head, data), (a, b)) in parts.iter().zip(&want) {
            let want_head = format!("Content-Type: {OCTET}\r\nContent-Range: bytes {a}-{b}/1000");
            assert_eq!(head, &want_head);
            assert_eq!(data, &fx.data[*a..=*b]);
        }
    }
}

#[tokio::test]
async fn conditionals() {
    let fx = fixture(1000);
    assert_304(&fx, &[("if-none-match", ETAG)]).await;
    assert_304(&fx, &[("if-none-match", "*")]).await;
    assert_304(&fx, &[("if-none-match", &format!("W/{ETAG}"))]).await;
    assert_304(&fx, &[("if-none-match", &format!("\"other\", {ETAG}"))]).await;
    assert_304(&fx, &[("if-modified-since", LAST_MODIFIED)]).await;
    assert_304(
        &fx,
        &[("if-modified-since", "Wed, 15 Nov 2023 00:00:00 GMT")],
    )
    .await;
    assert_304(&fx, &[("if-none-match", ETAG), ("range", "bytes=0-1")]).await;
    assert_full(
        &fx,
        &[("if-modified-since", "Tue, 14 Nov 2023 22:13:19 GMT")],
    )
    .await;
    assert_full(&fx, &[("if-modified-since", "not a date")]).await;
    assert_full(
        &fx,
        &[
            ("if-none-match", "\"other\""),
            ("if-modified-since", LAST_MODIFIED),
        ],
    )
    .await;
    assert_full(
        &fx,
        &[("if-match", ETAG), ("if-unmodified-since", LAST_MODIFIED)],
    )
    .await;
    for (k, v) in [
        ("if-match", "\"other\""),
        ("if-match", &format!("W/{ETAG}")),
        ("if-unmodified-since", "Tue, 14 Nov 2023 22:13:19 GMT"),
    ] {
        let (s, h, body) = send(&fx, Method::GET, &[(k, v)]).await;
        assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{k}: {v}");
        assert_eq!(hv(&h, header::CONTENT_TYPE), Some("application/json"));
        assert!(String::from_utf8(body)
            .unwrap()
            .starts_with("{\"code\":\"precondition_failed\""));
    }
}

#[tokio::test]
async fn if_range() {
    let fx = fixture(1000);
    assert_single(&fx, &[("range", "bytes=5-9"), ("if-range", ETAG)], 5, 9).await;
    assert_single(
        &fx,
        &[("range", "bytes=5-9"), ("if-range", LAST_MODIFIED)],
        5,
        9,
    )
    .await;
    assert_full(&fx, &[("range", "bytes=5-9"), ("if-range", "\"stale\"")]).await;
    assert_full(
        &fx,
        &[("range", "bytes=5-9"), ("if-range", &format!("W/{ETAG}"))],
    )
    .await;
    assert_full(
        &fx,
        &[
            ("range", "bytes=5-9"),
            ("if-range", "Tue, 14 Nov 2023 22:13:21 GMT"),
        ],
    )
    .await;
    assert_full(&fx, &[("range", "bytes=5000-"), ("if-range", "\"stale\"")]).await;
}

#[tokio::test]
async fn zero_length_file() {
    let fx = fixture(0);
    assert_full(&fx, &[]).await;
    assert_416(&fx, "bytes=0-").await;
    assert_416(&fx, "bytes=-5").await;
    assert_416(&fx, "bytes=0-0,-1").await;
}

#[tokio::test]
async fn large_file_across_chunks() {
    let fx = fixture((5 << 20) + 123);
    assert_full(&fx, &[]).await;
    assert_single(&fx, &[("range", "bytes=1048570-3145739")], 1048570, 3145739).await;
    let (s, h, body) = send(&fx, Method::GET, &[("range", "bytes=0-0,-3000000")]).await;
    assert_eq!(s, StatusCode::PARTIAL_CONTENT);
    let ct = hv(&h, header::CONTENT_TYPE).unwrap().to_owned();
    assert_common(&h, &ct, body.len());
    let parts = parse_multipart(&body, ct.rsplit('=').next().unwrap());
    let n = fx.data.len();
    assert_eq!(parts[0].1, &fx.data[..1]);
    assert_eq!(
        parts[1].0,
        format!(
            "Content-Type: {OCTET}\r\nContent-Range: bytes {}-{}/{n}",
            n - 3_000_000,
            n - 1
        )
    );
    assert_eq!(parts[1].1, &fx.data[n - 3_000_000..]);
}

#[tokio::test]
async fn missing_or_short_blob_is_an_error_before_any_response() {
    let fx = fixture(1000);
    let req = Request::builder().method(Method::GET).finish();
    let mut res = fx.res.clone();
    res.size = 1001;
    assert_eq!(
        serve(&req, res).await.unwrap_err().kind(),
        std::io::ErrorKind::UnexpectedEof
    );
    let mut res = fx.res.clone();
    res.blob = hoard::blob::BlobAt::File(fx.path.with_file_name("nope"));
    assert_eq!(
        serve(&req, res).await.unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    // The route maps the error; nothing of the file is sent.
    let (s, _, _) = send(&fx, Method::GET, &[]).await;
    assert_eq!(s, StatusCode::OK);
    std::fs::write(&fx.path, b"short").unwrap();
    let (s, _, body) = send(&fx, Method::GET, &[]).await;
    assert_eq!(s, StatusCode::IM_A_TEAPOT);
    assert!(!body.starts_with(b"short"));
}

#[tokio::test]
async fn truncated_after_headers_fails_the_body() {
    let fx = fixture(3 << 20);
    let resp = serve(&Request::builder().finish(), fx.res.clone())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fx.path)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    assert!(resp.into_body().into_vec().await.is_err());
}

#[test]
fn dispositions() {
    use DispositionKind::*;
    let cd = |n| content_disposition(Attachment, n);
    assert_eq!(
        cd("报告 2024.pdf"),
        "attachment; filename=\"__ 2024.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%202024.pdf"
    );
    assert_eq!(
        content_disposition(Inline, "😀.png"),
        "inline; filename=\"_.png\"; filename*=UTF-8''%F0%9F%98%80.png"
    );
    assert_eq!(
        cd("a\"b\\c.txt"),
        "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt"
    );
    assert_eq!(
        cd("x\r\ny\t\u{7f}\u{85}z.txt"),
        "attachment; filename=\"xyz.txt\"; filename*=UTF-8''xyz.txt"
    );
    assert_eq!(
        cd("a;b=c, 100%.txt"),
        "attachment; filename=\"a;b=c, 100_.txt\"; filename*=UTF-8''a%3Bb%3Dc%2C%20100%25.txt"
    );
    assert_eq!(
        cd("plain-Name_1.tar.gz"),
        "attachment; filename=\"plain-Name_1.tar.gz\"; filename*=UTF-8''plain-Name_1.tar.gz"
    );
    assert_eq!(
        cd("\n"),
        "attachment; filename=\"download\"; filename*=UTF-8''download"
    );
    assert_eq!(
        cd("\u{202e}gpj.exe"),
        "attachment; filename=\"gpj.exe\"; filename*=UTF-8''gpj.exe"
    );
    for n in ["报告 2024.pdf", "a\"b", "\u{0}\u{1b}x", "😀;"] {
        assert!(HeaderValue::from_str(&cd(n)).is_ok(), "{n}");
    }
}
