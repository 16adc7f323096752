//! Tests: a share as the public sees it — metadata and folder listings, downloads with Range,
//! zips and sub-paths, escape attempts and safe previews (SPEC §7).

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::share_helpers::*;

#[tokio::test]
async fn file_metadata_is_public_and_reveals_nothing_of_the_owner() {
    let (app, alice, _file, share, token) = file_share(
        "photo.png",
        b"\x89PNG\r\n\x1a\n....",
        json!({"expires_at": from_now(600)}),
    )
    .await;
    let reply = public_get(&app, &token, "").await;
    reply.assert_status(200);
    let meta = reply.json();
    let mut keys: Vec<&String> = meta.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "can_preview",
            "category",
            "expires_at",
            "has_password",
            "kind",
            "mime_type",
            "name",
            "size"
        ]
    );
    assert_eq!(meta["name"], "photo.png");
    assert_eq!(meta["kind"], "file");
    assert_eq!(meta["size"], 12);
    assert_eq!(meta["mime_type"], "image/png");
    assert_eq!(meta["category"], "image");
    assert_eq!(meta["can_preview"], true);
    assert_eq!(meta["has_password"], false);
    assert_eq!(meta["expires_at"], share["expires_at"]);
    assert_reveals_nothing(&reply, &alice, &share);
    // A file share has nothing below it.
    public_get(&app, &token, "?path=/x")
        .await
        .assert_error(404, "not_found");
    for bad in ["nope", "a%20b", &"A".repeat(40), &format!("{token}x")] {
        app.get(&public(bad, ""), None)
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn a_folder_share_lists_its_live_tree_with_relative_paths_and_no_ids() {
    let (app, alice, share, token) = folder_share().await;
    let reply = public_get(&app, &token, "").await;
    reply.assert_status(200);
    let meta = reply.json();
    assert_eq!(meta["name"], "docs");
    assert_eq!(meta["kind"], "folder");
    assert_eq!(meta["size"], 5 + 3000 + 7);
    assert!(meta["mime_type"].is_null() && meta["category"].is_null());
    assert_eq!(meta["truncated"], false);
    let paths: Vec<&str> = meta["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/a.txt",
            "/sub",
            "/sub/b.bin",
            "/sub/deeper",
            "/sub/deeper/c.txt"
        ]
    );
    let b = &meta["items"][2];
    assert_eq!(
        (&b["name"], &b["kind"], &b["size"]),
        (&json!("b.bin"), &json!("file"), &json!(3000))
    );
    assert_eq!(meta["items"][1]["kind"], "folder");
    assert!(meta["items"][1]["mime_type"].is_null());
    assert_reveals_nothing(&reply, &alice, &share);

    // A sub-folder's metadata lists what is below it, still relative to the share.
    let sub = public_get(&app, &token, "?path=/sub/deeper").await.json();
    assert_eq!(sub["name"], "deeper");
    assert_eq!(sub["items"][0]["path"], "/sub/deeper/c.txt");
    assert_eq!(sub["size"], 7);
    let leaf = public_get(&app, &token, "?path=sub/b.bin").await.json();
    assert_eq!(
        (&leaf["kind"], &leaf["size"]),
        (&json!("file"), &json!(3000))
    );
    assert!(leaf.get("items").is_none());
}

#[tokio::test]
async fn a_file_share_downloads_with_range_head_and_validators() {
    let data: Vec<u8> = (0..200u8).collect();
    let (app, _alice, file, _share, token) = file_share("data.bin", &data, json!({})).await;
    let url = public(&token, "/download");
    let full = anon(&app, Method::GET, &url, &[]).await;
    full.assert_status(200);
    assert_eq!(full.body, data);
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    let etag = format!("\"{}\"", file["sha256"].as_str().unwrap());
    assert_eq!(full.header("etag"), Some(etag.as_str()));
    assert!(full.header("last-modified").is_some());
    assert!(full
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(
        disposition_name(full.header("content-disposition").unwrap()),
        "data.bin"
    );
    assert_eq!(full.header("cache-control"), Some("private, no-cache"));
    assert_safe(&full);

    let part = anon(&app, Method::GET, &url, &[("range", "bytes=10-19")]).await;
    part.assert_status(206);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/200"));
    assert_eq!(part.body, &data[10..20]);
    let head = anon(&app, Method::HEAD, &url, &[]).await;
    head.assert_status(200);
    assert_eq!(head.header("content-length"), Some("200"));
    assert!(head.body.is_empty());
    let cached = anon(&app, Method::GET, &url, &[("if-none-match", &etag)]).await;
    cached.assert_status(304);
    let beyond = anon(&app, Method::GET, &url, &[("range", "bytes=500-")]).await;
    beyond.assert_status(416);
    assert_eq!(beyond.header("content-range"), Some("bytes */200"));
}

#[tokio::test]
async fn a_folder_share_downloads_as_a_zip_and_paths_reach_sub_folders_and_files() {
    let (app, _alice, _share, token) = folder_share().await;
    let reply = public_get(&app, &token, "/download").await;
    reply.assert_status(200);
    assert_eq!(reply.header("content-type"), Some("application/zip"));
    assert_eq!(
        disposition_name(reply.header("content-disposition").unwrap()),
        "docs.zip"
    );
    assert_safe(&reply);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(reply.body.clone())).unwrap();
    let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "docs/",
            "docs/a.txt",
            "docs/sub/",
            "docs/sub/b.bin",
            "docs/sub/deeper/",
            "docs/sub/deeper/c.txt"
        ]
    );
    let mut content = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("docs/sub/b.bin").unwrap(),
        &mut content,
    )
    .unwrap();
    assert_eq!(content, vec![9u8; 3000]);

    let sub = public_get(&app, &token, "/download?path=/sub/deeper").await;
    sub.assert_status(200);
    let archive = zip::ZipArchive::new(std::io::Cursor::new(sub.body.clone())).unwrap();
    let mut names: Vec<&str> = archive.file_names().collect();
    names.sort();
    assert_eq!(names, ["deeper/", "deeper/c.txt"]);

    let one = public_get(&app, &token, "/download?path=/sub/deeper/c.txt").await;
    one.assert_status(200);
    assert_eq!(one.body, b"charlie");
    assert_eq!(
        disposition_name(one.header("content-disposition").unwrap()),
        "c.txt"
    );
    let ranged = anon(
        &app,
        Method::GET,
        &public(&token, "/download?path=a.txt"),
        &[("range", "bytes=1-2")],
    )
    .await;
    ranged.assert_status(206);
    assert_eq!(ranged.body, b"lp");
    // Trashed entries are not part of the share.
    public_get(&app, &token, "/download?path=/gone.txt")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn paths_that_try_to_leave_the_share_are_404() {
    let (app, _alice, _share, token) = folder_share().await;
    for path in [
        "..",
        "../outside.txt",
        "/../outside.txt",
        "/sub/../../outside.txt",
        "/sub/../a.txt",
        "%2e%2e/outside.txt",
        "%2E%2E%2Foutside.txt",
        "/%2e%2e/outside.txt",
        "%252e%252e/outside.txt",
        "./a.txt",
        "/sub/./b.bin",
        "//a.txt",
        "/sub//b.bin",
        "sub/",
        "%5c..%5coutside.txt",
        "..%5coutside.txt",
        "/sub%5c..%5c..%5coutside.txt",
        "a.txt%00",
        "/a.txt%00.png",
        "/outside.txt",
        "/docs/a.txt",
        "/etc/passwd",
        "C:%5cWindows",
        "%2fetc%2fpasswd",
    ] {
        for route in ["", "/download", "/content"] {
            let url = public(&token, &format!("{route}?path={path}"));
            let reply = app.get(&url, None).await;
            reply.assert_error(404, "not_found");
            assert!(
                !String::from_utf8_lossy(&reply.body).contains("not shared"),
                "{url}"
            );
        }
    }
    // The route itself cannot be walked out of either.
    for url in [
        format!("/api/v1/public/shares/{token}/../../files"),
        format!("/api/v1/public/shares/{token}/%2e%2e/download"),
        format!("/api/v1/public/shares/{token}/download/..%2f..%2foutside.txt"),
        format!("/api/v1/public/shares/..%2f{token}"),
    ] {
        let reply = app.get(&url, None).await;
        assert!(
            matches!(reply.status.as_u16(), 401 | 404),
            "{url}: {}",
            reply.status
        );
        assert!(!String::from_utf8_lossy(&reply.body).contains("not shared"));
    }
}

#[tokio::test]
async fn shared_html_and_svg_never_render_as_documents() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    let html = b"<html><script>fetch('/api/v1/users/me')</script></html>";
    put_path(&app, t, "/site/index.html", html)
        .await
        .assert_status(201);
    put_path(&app, t, "/site/logo.svg", b"<svg onload=alert(1)></svg>")
        .await
        .assert_status(201);
    put_path(&app, t, "/site/page.png", html)
        .await
        .assert_status(201);
    let site = get_ok(&app, &format!("{FILES}/by-path?path=/site"), t).await;
    let token = token_of(&create_share(&app, t, json!({"file_id": id(&site)})).await);
    for name in ["index.html", "logo.svg", "page.png"] {
        for route in ["/content", "/download"] {
            let reply = public_get(&app, &token, &format!("{route}?path=/{name}")).await;
            reply.assert_status(200);
            let ctype = reply.header("content-type").unwrap().to_owned();
            assert!(
                !ctype.contains("html") && !ctype.contains("svg") && !ctype.contains("xml"),
                "{name}: {ctype}"
            );
            assert_safe(&reply);
        }
    }
    let inline = public_get(&app, &token, "/content?path=/index.html").await;
    assert_eq!(
        inline.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(inline
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
    // A folder has no inline content; a non-image has no thumbnail.
    public_get(&app, &token, "/content")
        .await
        .assert_error(404, "not_found");
    public_get(&app, &token, "/thumbnail?path=/index.html")
        .await
        .assert_error(404, "not_found");
    public_get(&app, &token, "/thumbnail?path=/index.html&size=5")
        .await
        .assert_error(422, "validation_failed");
}
