//! Hostile input: `Range` abuse (RFC 9110 §14, CVE-2011-3192) on the byte-serving routes of
//! an owner and of a public share. A malformed range is ignored (200, the whole body), an
//! unsatisfiable one is 416 `range_not_satisfiable` with `Content-Range: bytes */SIZE`, and
//! nothing is ever amplified beyond the file's size.

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;
use crate::share_helpers::{create_share, downloads, public, token_of};

const SIZE: usize = 100;

/// What a range must get.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// 200 with the whole body.
    Whole,
    /// 206 with these bytes.
    Part(usize, usize),
    /// 416 with `bytes */SIZE`.
    Unsatisfiable,
}

fn cases() -> Vec<(String, String, Want)> {
    let many = |n: usize, f: &dyn Fn(usize) -> String| {
        format!("bytes={}", (0..n).map(f).collect::<Vec<_>>().join(","))
    };
    let mut cases: Vec<(&str, String, Want)> = vec![
        ("reversed", "bytes=10-1".into(), Want::Whole),
        (
            "last position u64::MAX",
            "bytes=0-18446744073709551615".into(),
            Want::Part(0, 99),
        ),
        (
            "first position u64::MAX",
            "bytes=18446744073709551615-".into(),
            Want::Unsatisfiable,
        ),
        (
            "first position past u64",
            "bytes=18446744073709551616-".into(),
            Want::Unsatisfiable,
        ),
        (
            "suffix past u64",
            "bytes=-99999999999999999999999".into(),
            Want::Part(0, 99),
        ),
        ("negative first", "bytes=-5-10".into(), Want::Whole),
        ("hex numbers", "bytes=0x0-0x10".into(), Want::Whole),
        ("unknown unit", "items=0-5".into(), Want::Whole),
        ("missing =", "bytes 0-5".into(), Want::Whole),
        ("empty set", "bytes=".into(), Want::Whole),
        ("lone dash", "bytes=-".into(), Want::Whole),
        ("double dash", "bytes=--1".into(), Want::Whole),
        ("three numbers", "bytes=1-2-3".into(), Want::Whole),
        ("plus sign", "bytes=+1-2".into(), Want::Whole),
        ("trailing comma junk", "bytes=0-1,x".into(), Want::Whole),
        ("empty element", "bytes=,".into(), Want::Whole),
        ("first = size", "bytes=100-".into(), Want::Unsatisfiable),
        ("suffix of zero", "bytes=-0".into(), Want::Unsatisfiable),
        (
            "all unsatisfiable",
            "bytes=200-300,400-".into(),
            Want::Unsatisfiable,
        ),
        (
            "one satisfiable of two",
            "bytes=200-300,5-9".into(),
            Want::Part(5, 9),
        ),
    ];
    let owned: Vec<(String, String, Want)> = vec![
        (
            "1000 × 0-".into(),
            many(1000, &|_| "0-".into()),
            Want::Whole,
        ),
        (
            "1000 × 0-0".into(),
            many(1000, &|_| "0-0".into()),
            Want::Whole,
        ),
        (
            "5000 one-byte ranges".into(),
            many(5000, &|i| format!("{0}-{0}", i * 2)),
            Want::Whole,
        ),
        (
            "17 overlapping suffixes".into(),
            many(17, &|_| "-100".into()),
            Want::Whole,
        ),
        (
            "two overlapping".into(),
            "bytes=0-60,50-99".into(),
            Want::Whole,
        ),
    ];
    let mut all: Vec<(String, String, Want)> = cases
        .drain(..)
        .map(|(l, r, w)| (l.to_owned(), r, w))
        .collect();
    all.extend(owned);
    all
}

#[track_caller]
fn check(label: &str, reply: &Reply, want: Want, data: &[u8]) {
    match want {
        Want::Whole => assert_eq!(reply.body, data, "{label}: whole body"),
        Want::Part(first, last) => {
            assert_eq!(reply.body, &data[first..=last], "{label}");
            let range = format!("bytes {first}-{last}/{SIZE}");
            assert_eq!(
                reply.header("content-range"),
                Some(range.as_str()),
                "{label}"
            );
        }
        Want::Unsatisfiable => {
            let range = format!("bytes */{SIZE}");
            assert_eq!(
                reply.header("content-range"),
                Some(range.as_str()),
                "{label}"
            );
        }
    }
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{label}"
    );
}

fn expected(want: Want) -> (u16, &'static str) {
    match want {
        Want::Whole => (200, ""),
        Want::Part(..) => (206, ""),
        Want::Unsatisfiable => (416, "range_not_satisfiable"),
    }
}

#[tokio::test]
async fn hostile_ranges_on_owner_and_share_routes_are_ignored_or_416_never_amplified() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data: Vec<u8> = (0..SIZE as u8).map(|i| b'a' + i % 26).collect();
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let share = create_share(&app, &alice.access, json!({"file_id": id(&entry)})).await;
    let owner = format!("{}/download", file_url(id(&entry)));
    let shared = public(&token_of(&share), "/download");
    let bearer = format!("Bearer {}", alice.access);
    for (label, range, want) in cases() {
        let (status, code) = expected(want);
        let headers = [
            ("range", range.as_str()),
            ("authorization", bearer.as_str()),
        ];
        let request = app.send_raw(Method::GET, &owner, &headers, Vec::new());
        let reply = refused(&app.data_dir(), &label, status, code, request).await;
        check(&label, &reply, want, &data);
        // The share route: the same answers; the only change is that an answer with the
        // whole body counts as a download (SPEC §7), and a partial or refused one never does.
        let label = format!("share: {label}");
        let before = downloads(&app, &share);
        let reply = app
            .send_raw(Method::GET, &shared, &headers[..1], Vec::new())
            .await;
        let got = (reply.status.as_u16(), code_of(&reply.body));
        assert_eq!(got, (status, code.to_owned()), "{label}");
        check(&label, &reply, want, &data);
        let counted = downloads(&app, &share) - before;
        assert_eq!(counted, i64::from(matches!(want, Want::Whole)), "{label}");
    }
}

#[tokio::test]
async fn ranges_on_an_empty_file_and_with_a_stale_if_range_are_safe() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let empty = upload(&app, &alice.access, "empty.bin", b"").await;
    let url = format!("{}/download", file_url(id(&empty)));
    let bearer = format!("Bearer {}", alice.access);
    for range in ["bytes=0-0", "bytes=0-", "bytes=-1"] {
        let headers = [("authorization", bearer.as_str()), ("range", range)];
        let request = app.send_raw(Method::GET, &url, &headers, Vec::new());
        let label = format!("empty file {range}");
        let reply = refused(
            &app.data_dir(),
            &label,
            416,
            "range_not_satisfiable",
            request,
        )
        .await;
        assert_eq!(reply.header("content-range"), Some("bytes */0"), "{label}");
    }
    let data = b"0123456789".repeat(10);
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let url = format!("{}/content", file_url(id(&entry)));
    for (label, if_range) in [
        ("stale ETag", "\"0000\""),
        ("weak ETag", "W/\"x\""),
        ("date in the past", "Mon, 01 Jan 2001 00:00:00 GMT"),
        ("junk", "<script>"),
    ] {
        let headers = [
            ("authorization", bearer.as_str()),
            ("range", "bytes=0-9"),
            ("if-range", if_range),
        ];
        let request = app.send_raw(Method::GET, &url, &headers, Vec::new());
        let reply = refused(
            &app.data_dir(),
            &format!("If-Range {label}"),
            200,
            "",
            request,
        )
        .await;
        assert_eq!(reply.body, data, "If-Range {label}");
    }
}
