//! Tests: a file's bytes through the API — download and content headers, HEAD, Range and
//! conditional requests (SPEC §5 "Byte-serving routes").

use poem::http::Method;

use crate::drive_helpers::*;
use crate::helpers::*;

/// 100 bytes: `0123456789` ten times, with a NUL in the middle so it sniffs as binary.
fn sample() -> Vec<u8> {
    let mut data: Vec<u8> = (0..100u8).map(|i| b'0' + i % 10).collect();
    data[50] = 0;
    data
}

async fn fetch(app: &TestApp, token: &str, url: &str, headers: &[(&str, &str)]) -> Reply {
    fetch_with(app, Method::GET, token, url, headers).await
}

async fn fetch_with(
    app: &TestApp,
    method: Method,
    token: &str,
    url: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let bearer = format!("Bearer {token}");
    let mut all = vec![("authorization", bearer.as_str())];
    all.extend_from_slice(headers);
    app.send_raw(method, url, &all, Vec::new()).await
}

#[track_caller]
fn assert_safe(reply: &Reply) {
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let csp = reply.header("content-security-policy").expect("CSP");
    assert!(csp.contains("sandbox"), "{csp}");
}

/// The `Last-Modified` value the server must send for an entry: its `modified_at`.
fn http_date(entry: &serde_json::Value) -> String {
    let modified =
        chrono::DateTime::parse_from_rfc3339(entry["modified_at"].as_str().expect("time"))
            .expect("RFC 3339");
    modified
        .with_timezone(&chrono::Utc)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

#[tokio::test]
async fn download_sends_the_exact_bytes_with_validators_and_safe_headers() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "report.txt", &data).await;
    let reply = fetch(
        &app,
        &alice.access,
        &format!("{}/download", file_url(id(&entry))),
        &[],
    )
    .await;
    reply.assert_status(200);
    assert_eq!(reply.body, data);
    let sha = sha_hex(&data);
    let headers = [
        (
            "content-disposition",
            "attachment; filename=\"report.txt\"; filename*=UTF-8''report.txt".to_owned(),
        ),
        ("etag", format!("\"{sha}\"")),
        ("accept-ranges", "bytes".to_owned()),
        ("last-modified", http_date(&entry)),
        ("content-length", "100".to_owned()),
        ("content-type", "text/plain; charset=utf-8".to_owned()),
    ];
    for (name, want) in headers {
        assert_eq!(reply.header(name), Some(want.as_str()), "{name}");
    }
    assert_safe(&reply);

    let content = fetch(
        &app,
        &alice.access,
        &format!("{}/content", file_url(id(&entry))),
        &[],
    )
    .await;
    content.assert_status(200);
    assert_eq!(content.body, data);
    let inline = "inline; filename=\"report.txt\"; filename*=UTF-8''report.txt";
    assert_eq!(content.header("content-disposition"), Some(inline));
    assert_eq!(content.header("etag"), Some(format!("\"{sha}\"").as_str()));
    assert_safe(&content);
}

#[tokio::test]
async fn head_sends_the_same_headers_without_a_body() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "a.png", &data).await;
    for route in ["download", "content", "preview"] {
        let url = format!("{}/{route}", file_url(id(&entry)));
        let get = fetch(&app, &alice.access, &url, &[]).await;
        let head = fetch_with(&app, Method::HEAD, &alice.access, &url, &[]).await;
        head.assert_status(200);
        assert_eq!(head.body, b"", "{route}");
        for name in [
            "content-type",
            "content-length",
            "content-disposition",
            "etag",
            "last-modified",
            "accept-ranges",
            "x-content-type-options",
            "content-security-policy",
        ] {
            assert_eq!(head.header(name), get.header(name), "{route}: {name}");
        }
        assert_eq!(head.header("content-length"), Some("100"));
    }
}

#[tokio::test]
async fn single_ranges_are_206_with_content_range() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let url = format!("{}/download", file_url(id(&entry)));
    let cases: [(&str, usize, usize); 6] = [
        ("bytes=0-9", 0, 9),
        ("bytes=45-54", 45, 54),
        ("bytes=-5", 95, 99),
        ("bytes=90-", 90, 99),
        ("bytes=95-100000", 95, 99),
        ("bytes=-1000", 0, 99),
    ];
    for (range, first, last) in cases {
        let reply = fetch(&app, &alice.access, &url, &[("range", range)]).await;
        reply.assert_status(206);
        assert_eq!(reply.body, &data[first..=last], "{range}");
        let want = format!("bytes {first}-{last}/100");
        assert_eq!(
            reply.header("content-range"),
            Some(want.as_str()),
            "{range}"
        );
        let length = (last - first + 1).to_string();
        assert_eq!(reply.header("content-length"), Some(length.as_str()));
        assert_eq!(
            reply.header("content-type"),
            Some("application/octet-stream")
        );
        assert_safe(&reply);
    }
}

#[tokio::test]
async fn an_unsatisfiable_range_is_416_with_the_size() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "r.bin", &sample()).await;
    for route in ["download", "content", "preview"] {
        let url = format!("{}/{route}", file_url(id(&entry)));
        for range in ["bytes=100-", "bytes=500-600", "bytes=-0"] {
            let reply = fetch(&app, &alice.access, &url, &[("range", range)]).await;
            reply.assert_error(416, "range_not_satisfiable");
            assert_eq!(
                reply.header("content-range"),
                Some("bytes */100"),
                "{range}"
            );
            assert_safe(&reply);
        }
    }
}

#[tokio::test]
async fn several_ranges_come_back_as_multipart_byteranges() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let url = format!("{}/content", file_url(id(&entry)));
    let reply = fetch(
        &app,
        &alice.access,
        &url,
        &[("range", "bytes=0-4,50-52,-3")],
    )
    .await;
    reply.assert_status(206);
    let content_type = reply.header("content-type").expect("type").to_owned();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart/byteranges");
    let body = reply.body.clone();
    assert_eq!(
        reply.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    let mut expected = Vec::new();
    for (i, (first, last)) in [(0usize, 4usize), (50, 52), (97, 99)]
        .into_iter()
        .enumerate()
    {
        let sep = if i == 0 { "" } else { "\r\n" };
        expected.extend_from_slice(
            format!(
                "{sep}--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes {first}-{last}/100\r\n\r\n"
            )
            .as_bytes(),
        );
        expected.extend_from_slice(&data[first..=last]);
    }
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&body),
        String::from_utf8_lossy(&expected)
    );
    assert_safe(&reply);
}

#[tokio::test]
async fn seventeen_ranges_or_overlaps_get_the_whole_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let url = format!("{}/download", file_url(id(&entry)));
    let seventeen: Vec<String> = (0..17).map(|i| format!("{0}-{0}", i * 3)).collect();
    let sixteen = format!("bytes={}", seventeen[..16].join(","));
    let seventeen = format!("bytes={}", seventeen.join(","));
    for range in [seventeen.as_str(), "bytes=0-50,40-60", "bytes=0-99,0-99"] {
        let reply = fetch(&app, &alice.access, &url, &[("range", range)]).await;
        reply.assert_status(200);
        assert_eq!(reply.body, data, "{range}");
        assert_eq!(reply.header("content-range"), None);
    }
    let reply = fetch(&app, &alice.access, &url, &[("range", sixteen.as_str())]).await;
    reply.assert_status(206);
    assert!(reply
        .header("content-type")
        .expect("type")
        .starts_with("multipart/byteranges"));
}

#[tokio::test]
async fn conditional_requests_give_304_and_a_stale_if_range_gives_the_whole_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = sample();
    let entry = upload(&app, &alice.access, "r.bin", &data).await;
    let url = format!("{}/download", file_url(id(&entry)));
    let tag = format!("\"{}\"", sha_hex(&data));

    let not_modified = fetch(&app, &alice.access, &url, &[("if-none-match", &tag)]).await;
    not_modified.assert_status(304);
    assert_eq!(not_modified.body, b"");
    assert_eq!(not_modified.header("etag"), Some(tag.as_str()));
    assert_eq!(
        not_modified.header("x-content-type-options"),
        Some("nosniff")
    );
    let since = http_date(&entry);
    let by_date = fetch(&app, &alice.access, &url, &[("if-modified-since", &since)]).await;
    by_date.assert_status(304);
    let other = fetch(
        &app,
        &alice.access,
        &url,
        &[("if-none-match", "\"something-else\"")],
    )
    .await;
    other.assert_status(200);
    assert_eq!(other.body, data);

    let stale = [("range", "bytes=0-9"), ("if-range", "\"an-old-version\"")];
    let reply = fetch(&app, &alice.access, &url, &stale).await;
    reply.assert_status(200);
    assert_eq!(reply.body, data);
    let fresh = [("range", "bytes=0-9"), ("if-range", tag.as_str())];
    let reply = fetch(&app, &alice.access, &url, &fresh).await;
    reply.assert_status(206);
    assert_eq!(reply.body, &data[0..10]);

    // After an overwrite the old validator no longer matches.
    upload_query(
        &app,
        &alice.access,
        "?on_conflict=overwrite",
        "r.bin",
        b"v2",
    )
    .await;
    let changed = fetch(&app, &alice.access, &url, &[("if-none-match", &tag)]).await;
    changed.assert_status(200);
    assert_eq!(changed.body, b"v2");
    let reply = fetch(
        &app,
        &alice.access,
        &url,
        &[("range", "bytes=0-0"), ("if-range", &tag)],
    )
    .await;
    reply.assert_status(200);
    assert_eq!(reply.body, b"v2");
}

#[tokio::test]
async fn the_content_route_is_inline_with_the_servers_type_not_the_uploaders() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let png = crate::content_preview::png_bytes(4, 4);
    let mut part = file_part("pixel.png", &png);
    part.content_type = Some("text/html".into());
    let reply = upload_parts(&app, &alice.access, "", &[part]).await;
    reply.assert_status(201);
    let entry = reply.json()["items"][0].clone();
    assert_eq!(entry["mime_type"], "image/png");
    let content = fetch(
        &app,
        &alice.access,
        &format!("{}/content", file_url(id(&entry))),
        &[],
    )
    .await;
    content.assert_status(200);
    assert_eq!(content.body, png);
    assert_eq!(content.header("content-type"), Some("image/png"));
    let disposition = content.header("content-disposition").expect("disposition");
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert_safe(&content);

    let put = put_path(&app, &alice.access, "/notes.md", b"# notes").await;
    let notes = put.json();
    assert_eq!(notes["mime_type"], "text/markdown");
    let raw = fetch(
        &app,
        &alice.access,
        &format!("{}/content", file_url(id(&notes))),
        &[],
    )
    .await;
    assert_eq!(
        raw.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(raw.body, b"# notes");
    assert_safe(&raw);
}

#[tokio::test]
async fn a_folder_downloads_as_a_zip_of_its_live_contents() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    put_path(&app, t, "/照片/2024/a.txt", b"first")
        .await
        .assert_status(201);
    put_path(&app, t, "/照片/b.bin", &[7u8; 70_000])
        .await
        .assert_status(201);
    let gone = put_path(&app, t, "/照片/gone.txt", b"trashed").await.json();
    app.delete(&file_url(id(&gone)), Some(t))
        .await
        .assert_status(204);
    let folder = get_ok(
        &app,
        &format!("/api/v1/files/by-path?path={}", enc("/照片")),
        t,
    )
    .await;

    let reply = app
        .get(&format!("{}/download", file_url(id(&folder))), Some(t))
        .await;
    reply.assert_status(200);
    assert_eq!(reply.header("content-type"), Some("application/zip"));
    assert_eq!(
        disposition_name(reply.header("content-disposition").unwrap()),
        "照片.zip"
    );
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(reply.body.clone())).unwrap();
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        ["照片/", "照片/2024/", "照片/2024/a.txt", "照片/b.bin"],
        "trash is left out"
    );
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("照片/b.bin").unwrap(), &mut content).unwrap();
    assert_eq!(content, vec![7u8; 70_000]);

    // A folder has no raw content, and nobody else can download it.
    app.get(&format!("{}/content", file_url(id(&folder))), Some(t))
        .await
        .assert_error(404, "not_found");
    let bob = app.register("bob").await;
    app.get(
        &format!("{}/download", file_url(id(&folder))),
        Some(&bob.access),
    )
    .await
    .assert_error(404, "not_found");
}
