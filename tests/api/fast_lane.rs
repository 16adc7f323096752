//! Tests: the fast lane of `GET /files/{id}/download` and `/content` with a bearer token
//! (src/api/fast_lane.rs) answers exactly as the full path does, and leaves everything it
//! does not fully succeed at to the full path. The same request with a query (any query
//! keeps a request out of the lane) goes down the full path, so each pair compares the two.

use poem::http::Method;

use crate::drive_helpers::*;
use crate::helpers::*;

/// Headers that differ between any two responses by design.
const PER_RESPONSE: [&str; 2] = ["x-request-id", "date"];

async fn by_lane_and_full(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> (Reply, Reply) {
    let lane = app.send_raw(Method::GET, url, headers, Vec::new()).await;
    let full_url = format!("{url}?via=full");
    let full = app
        .send_raw(Method::GET, &full_url, headers, Vec::new())
        .await;
    (lane, full)
}

/// A `multipart/byteranges` boundary is random per response: it reads as `BOUNDARY`.
fn without_boundary(reply: &Reply, text: &[u8]) -> Vec<u8> {
    let boundary = reply
        .header("content-type")
        .and_then(|ct| ct.split_once("boundary="))
        .map(|(_, b)| b.trim_matches('"').as_bytes().to_vec());
    let Some(boundary) = boundary else {
        return text.to_vec();
    };
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(&first) = rest.first() {
        if rest.starts_with(&boundary) {
            out.extend_from_slice(b"BOUNDARY");
            rest = &rest[boundary.len()..];
        } else {
            out.push(first);
            rest = &rest[1..];
        }
    }
    out
}

#[track_caller]
fn assert_same(lane: &Reply, full: &Reply) {
    assert_eq!(lane.status, full.status);
    assert_eq!(
        without_boundary(lane, &lane.body),
        without_boundary(full, &full.body)
    );
    let keep = |reply: &Reply| {
        let mut pairs: Vec<(String, Vec<u8>)> = reply
            .headers
            .iter()
            .filter(|(name, _)| !PER_RESPONSE.contains(&name.as_str()))
            .map(|(name, value)| (name.to_string(), without_boundary(reply, value.as_bytes())))
            .collect();
        pairs.sort();
        pairs
    };
    assert_eq!(keep(lane), keep(full));
    assert!(lane.header("x-request-id").is_some());
}

#[tokio::test]
async fn the_lane_answers_byte_for_byte_and_header_for_header_as_the_full_path() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = upload(&app, &alice.access, "report.pdf", &data).await;
    let bearer = format!("Bearer {}", alice.access);
    let etag = app
        .get(
            &format!("{}/download", file_url(id(&file))),
            Some(&alice.access),
        )
        .await
        .header("etag")
        .map(str::to_owned)
        .unwrap_or_default();
    for route in ["download", "content"] {
        let url = format!("{}/{route}", file_url(id(&file)));
        let cases: [&[(&str, &str)]; 5] = [
            &[("authorization", &bearer)],
            &[("authorization", &bearer), ("range", "bytes=100-65635")],
            &[("authorization", &bearer), ("range", "bytes=0-9, 100-109")],
            &[("authorization", &bearer), ("range", "bytes=999999-")],
            &[("authorization", &bearer), ("if-none-match", &etag)],
        ];
        for headers in cases {
            let (lane, full) = by_lane_and_full(&app, &url, headers).await;
            assert_same(&lane, &full);
        }
    }
    let (lane, _) = by_lane_and_full(
        &app,
        &format!("{}/download", file_url(id(&file))),
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(
        (lane.status.as_u16(), lane.body.as_slice()),
        (200, data.as_slice())
    );
}

#[tokio::test]
async fn what_the_lane_cannot_serve_gets_the_full_paths_answer() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let file = upload(&app, &alice.access, "a.txt", b"alice's").await;
    let folder = mkdir(&app, &alice.access, "Docs", None).await;
    let url = format!("{}/download", file_url(id(&file)));

    let bobs = format!("Bearer {}", bob.access);
    let (lane, full) = by_lane_and_full(&app, &url, &[("authorization", &bobs)]).await;
    assert_same(&lane, &full);
    lane.assert_error(404, "not_found");

    let forged = format!("Bearer {}x", alice.access);
    let (lane, full) = by_lane_and_full(&app, &url, &[("authorization", &forged)]).await;
    assert_same(&lane, &full);
    assert_eq!(lane.status.as_u16(), 401);

    let alices = format!("Bearer {}", alice.access);
    let missing = format!("{}/download", file_url(id(&file) + 1000));
    let (lane, full) = by_lane_and_full(&app, &missing, &[("authorization", &alices)]).await;
    assert_same(&lane, &full);
    lane.assert_error(404, "not_found");

    // A folder is a zip, built by the full path.
    let zip_url = format!("{}/download", file_url(id(&folder)));
    let zip = app.get(&zip_url, Some(&alice.access)).await;
    assert_eq!(zip.header("content-type"), Some("application/zip"));

    // Two credentials are refused, as on every route.
    let twice = app
        .send_raw(
            Method::GET,
            &url,
            &[("authorization", &alices), ("authorization", &alices)],
            Vec::new(),
        )
        .await;
    assert_eq!(twice.status.as_u16(), 401);

    let content = format!("{}/content", file_url(id(&folder)));
    app.get(&content, Some(&alice.access))
        .await
        .assert_error(404, "not_found");
}
