//! Unit tests of range planning and conditionals.

use super::conditionals::{parse_http_date, tag_list_matches};
use super::*;
use crate::blob::Chunks;
use bytes::Bytes;

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
    assert!(matches!(r(&format!("bytes={}", list(16).join(",")), 100), Parts(p) if p.len() == 16));
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

/// An answer as the tests compare it: status, sorted headers, the body or its error.
type Answer = (u16, Vec<(String, String)>, Result<Vec<u8>, String>);

/// The blob as an in-memory "object store" that sends each range in small chunks, and can
/// be told to send too few bytes.
struct Memory {
    bytes: Bytes,
    short: bool,
}

impl RangeRead for Memory {
    fn read(
        &self,
        range: std::ops::Range<u64>,
    ) -> futures_util::future::BoxFuture<'static, io::Result<Chunks>> {
        use futures_util::StreamExt;
        let end = if self.short { range.end - 1 } else { range.end };
        let slice = self.bytes.slice(range.start as usize..end as usize);
        let chunks: Vec<io::Result<Bytes>> = (0..slice.len())
            .step_by(7)
            .map(|at| Ok(slice.slice(at..(at + 7).min(slice.len()))))
            .collect();
        Box::pin(async move { Ok(futures_util::stream::iter(chunks).boxed()) })
    }
}

async fn answer(resource: Resource, method: Method, headers: &[(HeaderName, &str)]) -> Answer {
    let mut request = poem::Request::builder().method(method).uri_str("/x");
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    let response = serve(&request.finish(), resource).await.expect("served");
    let status = response.status().as_u16();
    let mut seen: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    seen.sort();
    let body = response
        .into_body()
        .into_vec()
        .await
        .map_err(|e| e.to_string());
    (status, seen, body)
}

/// A multipart body's random boundary, replaced by a fixed one, so two answers compare.
fn same_boundary(mut answer: Answer) -> Answer {
    let boundary = answer.1.iter().find_map(|(k, v)| {
        (k == "content-type")
            .then(|| v.split_once("boundary=").map(|(_, b)| b.to_owned()))
            .flatten()
    });
    if let Some(boundary) = boundary {
        for (_, v) in &mut answer.1 {
            *v = v.replace(&boundary, "B");
        }
        if let Ok(body) = &mut answer.2 {
            *body = String::from_utf8_lossy(body)
                .replace(&boundary, "B")
                .into_bytes();
        }
    }
    answer
}

/// Every kind of answer is the same, header for header and byte for byte, whether the
/// blob is a file here or read by ranges from elsewhere.
#[tokio::test]
async fn a_remote_blob_is_served_exactly_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let data: Bytes = (0..5000u32)
        .map(|i| (i * 31 % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    let path = dir.path().join("blob");
    std::fs::write(&path, &data).unwrap();
    let tag = "ab".repeat(32);
    let file = Resource::stored(
        BlobAt::File(path),
        5000,
        tag.clone(),
        1_000_000,
        "a.bin",
        "application/octet-stream".into(),
        false,
    );
    let remote = Resource {
        blob: BlobAt::Remote(Arc::new(Memory {
            bytes: data.clone(),
            short: false,
        })),
        ..file.clone()
    };
    let etag = format!("\"{tag}\"");
    let cases: Vec<(Method, Vec<(HeaderName, &str)>)> = vec![
        (Method::GET, vec![]),
        (Method::HEAD, vec![]),
        (Method::GET, vec![(header::RANGE, "bytes=100-199")]),
        (Method::GET, vec![(header::RANGE, "bytes=-10")]),
        (
            Method::GET,
            vec![(header::RANGE, "bytes=0-9,4000-4099,4990-")],
        ),
        (Method::GET, vec![(header::RANGE, "bytes=9000-")]),
        (Method::GET, vec![(header::IF_NONE_MATCH, etag.as_str())]),
        (
            Method::GET,
            vec![
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, "\"other\""),
            ],
        ),
    ];
    for (method, headers) in cases {
        let want = same_boundary(answer(file.clone(), method.clone(), &headers).await);
        let got = same_boundary(answer(remote.clone(), method.clone(), &headers).await);
        assert_eq!(got, want, "{method} {headers:?}");
    }
    let whole = answer(remote.clone(), Method::GET, &[]).await;
    assert_eq!(whole.2.unwrap(), data.to_vec());

    // A store that sends a byte too few fails the body rather than cutting it short.
    let short = Resource {
        blob: BlobAt::Remote(Arc::new(Memory {
            bytes: data,
            short: true,
        })),
        ..remote
    };
    let (status, _, body) = answer(short, Method::GET, &[(header::RANGE, "bytes=0-99")]).await;
    assert_eq!(status, 206);
    assert!(body.is_err(), "a short read is an error, not a short body");
}
