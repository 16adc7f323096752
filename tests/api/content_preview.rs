//! Tests: previews, safe content types, `preview-info` and thumbnails (SPEC §5 "Preview
//! rules"): no uploaded byte is ever served as a document of the app's origin.

use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

const PLAIN: &str = "text/plain; charset=utf-8";

pub use crate::support::random::png_bytes;

async fn route(app: &TestApp, token: &str, entry: &Value, route: &str) -> Reply {
    app.get(&format!("{}/{route}", file_url(id(entry))), Some(token))
        .await
}

#[track_caller]
fn assert_sandboxed(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    let csp = reply.header("content-security-policy").expect("CSP");
    assert!(csp.starts_with("sandbox"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
}

fn disposition_kind(reply: &Reply) -> &str {
    let value = reply.header("content-disposition").expect("disposition");
    value.split(';').next().unwrap_or_default()
}

#[tokio::test]
async fn preview_shows_images_inline_text_as_plain_text_and_downloads_office_files() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let png = png_bytes(8, 8);
    let docx = b"PK\x03\x04 not really a document".to_vec();
    // Office files: only the attachment is checked here; their Content-Type is wrongly
    // `text/plain` today (`media::is_scriptable` sees "xml" inside "openxmlformats").
    let cases: [(&str, Vec<u8>, Option<&str>, &str); 6] = [
        ("pic.png", png, Some("image/png"), "inline"),
        (
            "page.html",
            b"<html><script>alert(1)</script></html>".to_vec(),
            Some(PLAIN),
            "inline",
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            Some(PLAIN),
            "inline",
        ),
        ("notes.txt", b"just text".to_vec(), Some(PLAIN), "inline"),
        ("report.docx", docx, None, "attachment"),
        (
            "archive.zip",
            b"PK\x03\x04zip".to_vec(),
            Some("application/zip"),
            "attachment",
        ),
    ];
    for (name, data, content_type, kind) in cases {
        let entry = upload(&app, t, name, &data).await;
        let reply = route(&app, t, &entry, "preview").await;
        reply.assert_status(200);
        assert_eq!(reply.body, data, "{name}");
        if let Some(content_type) = content_type {
            assert_eq!(reply.header("content-type"), Some(content_type), "{name}");
        }
        assert_eq!(disposition_kind(&reply), kind, "{name}");
        assert_eq!(
            disposition_name(reply.header("content-disposition").expect("cd")),
            name
        );
        assert_sandboxed(&reply, name);
    }
}

#[tokio::test]
async fn an_inline_pdf_keeps_nosniff_without_sandbox_and_a_downloaded_one_is_sandboxed() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = b"%PDF-1.4\n% a tiny pdf\n".to_vec();
    let entry = upload(&app, &alice.access, "doc.pdf", &data).await;
    for inline_route in ["preview", "content"] {
        let reply = route(&app, &alice.access, &entry, inline_route).await;
        reply.assert_status(200);
        assert_eq!(reply.body, data);
        assert_eq!(reply.header("content-type"), Some("application/pdf"));
        assert_eq!(disposition_kind(&reply), "inline");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        let csp = reply.header("content-security-policy").expect("CSP");
        assert!(!csp.contains("sandbox"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
    }
    let download = route(&app, &alice.access, &entry, "download").await;
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert_eq!(disposition_kind(&download), "attachment");
    assert_sandboxed(&download, "pdf download");
}

#[tokio::test]
async fn html_svg_and_xml_are_never_served_as_documents_from_any_route() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
    let cases: [(&str, &[u8]); 7] = [
        ("a.html", page),
        ("b.htm", page),
        ("c.xhtml", page),
        ("d.svg", svg),
        ("e.xml", b"<?xml version=\"1.0\"?><x/>"),
        ("no-extension", page),
        ("f.js", b"alert(1)"),
    ];
    for (name, data) in cases {
        let entry = upload(&app, t, name, data).await;
        for r in ["download", "content", "preview"] {
            let reply = route(&app, t, &entry, r).await;
            reply.assert_status(200);
            assert_eq!(reply.body, data);
            assert_eq!(reply.header("content-type"), Some(PLAIN), "{name} via {r}");
            assert_sandboxed(&reply, name);
        }
        let info = get_ok(&app, &format!("{}/preview-info", file_url(id(&entry))), t).await;
        assert_eq!(
            (&info["can_preview"], &info["thumbnail_url"]),
            (&json!(true), &Value::Null),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_png_whose_bytes_are_html_is_served_as_image_png_and_has_no_thumbnail() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = b"<html><body><script>alert('xss')</script></body></html>";
    let mut part = file_part("evil.png", data);
    part.content_type = Some("text/html".into());
    let reply = upload_parts(&app, &alice.access, "", &[part]).await;
    reply.assert_status(201);
    let entry = reply.json()["items"][0].clone();
    assert_eq!(entry["mime_type"], "image/png");
    for r in ["download", "content", "preview"] {
        let reply = route(&app, &alice.access, &entry, r).await;
        reply.assert_status(200);
        assert_eq!(reply.body, data);
        assert_eq!(reply.header("content-type"), Some("image/png"), "{r}");
        assert_sandboxed(&reply, r);
    }
    let thumb = route(&app, &alice.access, &entry, "thumbnail").await;
    thumb.assert_error(404, "not_found");
    assert_eq!(
        files_under(&app.data_dir().join("thumbs")),
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn preview_info_describes_what_the_preview_route_will_do() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let png = upload(&app, t, "Photo.PNG", &png_bytes(2, 2)).await;
    let docx = upload(&app, t, "cv.docx", b"PK\x03\x04").await;
    let txt = upload(&app, t, "readme", b"plain words").await;
    let info = get_ok(&app, &format!("{}/preview-info", file_url(id(&png))), t).await;
    let base = file_url(id(&png));
    let want = json!({
        "id": png["id"], "name": "Photo.PNG", "size": png["size"], "mime_type": "image/png",
        "category": "image", "can_preview": true, "extension": "png",
        "preview_url": format!("{base}/preview"), "content_url": format!("{base}/content"),
        "download_url": format!("{base}/download"), "thumbnail_url": format!("{base}/thumbnail"),
        "created_at": png["created_at"],
    });
    assert_eq!(info, want);
    let info = get_ok(&app, &format!("{}/preview-info", file_url(id(&docx))), t).await;
    assert_eq!(
        (
            &info["can_preview"],
            &info["thumbnail_url"],
            &info["category"]
        ),
        (&json!(false), &Value::Null, &json!("document"))
    );
    assert_eq!(
        info["mime_type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let info = get_ok(&app, &format!("{}/preview-info", file_url(id(&txt))), t).await;
    assert_eq!(
        (
            &info["can_preview"],
            &info["thumbnail_url"],
            &info["extension"]
        ),
        (&json!(true), &Value::Null, &json!(""))
    );
    assert_eq!(
        (&info["mime_type"], &info["category"]),
        (&json!("text/plain"), &json!("text"))
    );
    let folder = mkdir(&app, t, "dir", None).await;
    for r in ["preview-info", "preview", "content", "thumbnail"] {
        route(&app, t, &folder, r)
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn a_thumbnail_is_a_jpeg_generated_once_and_then_served_from_the_cache() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let data = png_bytes(300, 200);
    let entry = upload(&app, t, "big.png", &data).await;
    let reply = route(&app, t, &entry, "thumbnail").await;
    reply.assert_status(200);
    assert_eq!(reply.header("content-type"), Some("image/jpeg"));
    assert_sandboxed(&reply, "thumbnail");
    let thumb =
        image::load_from_memory_with_format(&reply.body, image::ImageFormat::Jpeg).expect("JPEG");
    assert_eq!((thumb.width(), thumb.height()), (256, 171));
    let small = route(&app, t, &entry, "thumbnail?size=64").await;
    let small = image::load_from_memory(&small.body).expect("JPEG");
    assert_eq!((small.width(), small.height()), (64, 43));

    let sha = sha_hex(&data);
    let cached = app
        .data_dir()
        .join("thumbs")
        .join(&sha[..2])
        .join(format!("{sha}-256.jpg"));
    assert_eq!(
        std::fs::read(&cached).expect("cached thumbnail"),
        reply.body
    );
    // Prove the second answer comes from the cache: change the cached file, see it served.
    std::fs::write(&cached, b"cached marker").expect("write");
    let again = route(&app, t, &entry, "thumbnail").await;
    again.assert_status(200);
    assert_eq!(again.body, b"cached marker");

    for size in ["63", "1025", "0"] {
        let reply = route(&app, t, &entry, &format!("thumbnail?size={size}")).await;
        reply.assert_error(422, "validation_failed");
        assert!(
            reply.json()["fields"]["size"].is_string(),
            "{}",
            reply.json()
        );
    }
    route(&app, t, &entry, "thumbnail?size=big")
        .await
        .assert_error(400, "bad_request");
    let text = upload(&app, t, "a.txt", b"words").await;
    route(&app, t, &text, "thumbnail")
        .await
        .assert_error(404, "not_found");
    // Purging the last file using the image drops its cached thumbnails.
    app.delete(&file_url(id(&entry)), Some(t))
        .await
        .assert_status(204);
    app.delete(&format!("{TRASH}/{}", id(&entry)), Some(t))
        .await
        .assert_status(204);
    assert!(!cached.exists());
}

#[tokio::test]
async fn office_files_keep_their_own_type_on_every_byte_route() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for (name, mime) in [("cv.docx", docx), ("sheet.xlsx", xlsx)] {
        let entry = upload(&app, &alice.access, name, b"PK\x03\x04").await;
        assert_eq!(entry["mime_type"], mime);
        for r in ["download", "content", "preview"] {
            let reply = route(&app, &alice.access, &entry, r).await;
            reply.assert_status(200);
            assert_eq!(reply.header("content-type"), Some(mime), "{name} via {r}");
        }
    }
}
