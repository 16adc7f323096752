//! Hostile input: uploads that try to run script in the app's origin (SPEC §5 preview
//! rules). The served `Content-Type` comes from the server, never from the uploader's part
//! header or a query parameter; markup is text; every byte route carries `nosniff` and a
//! sandboxing CSP (PDF inline excepted, as documented).

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;

const PLAIN: &str = "text/plain; charset=utf-8";
const PAGE: &[u8] =
    b"<!DOCTYPE html><html><body><script>fetch('/api/v1/users/me')</script></body></html>";

/// (label, file name, declared part type, bytes, the type every byte route must send).
fn corpus() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    Vec<u8>,
    &'static str,
)> {
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let xsl = b"<?xml version='1.0'?><?xml-stylesheet type='text/xsl' href='#'?><x/>".to_vec();
    vec![
        (
            "HTML upper-case extension",
            "A.HTML",
            "text/html",
            PAGE.to_vec(),
            PLAIN,
        ),
        ("shtml", "a.shtml", "text/html", PAGE.to_vec(), PLAIN),
        (
            "xht",
            "a.xht",
            "application/xhtml+xml",
            PAGE.to_vec(),
            PLAIN,
        ),
        (
            "mht archive",
            "a.mht",
            "message/rfc822",
            PAGE.to_vec(),
            PLAIN,
        ),
        ("xsl stylesheet", "a.xsl", "text/xsl", xsl.clone(), PLAIN),
        ("XML with a stylesheet PI", "a.xml", "text/xml", xsl, PLAIN),
        (
            "SVG with script",
            "a.svg",
            "image/svg+xml",
            svg.clone(),
            PLAIN,
        ),
        ("SVG named .png", "svg.png", "image/png", svg, "image/png"),
        (
            "HTML named .png",
            "page.png",
            "image/png",
            PAGE.to_vec(),
            "image/png",
        ),
        (
            "HTML named .jpg",
            "page.jpg",
            "image/jpeg",
            PAGE.to_vec(),
            "image/jpeg",
        ),
        (
            "HTML named .gif",
            "page.gif",
            "image/gif",
            PAGE.to_vec(),
            "image/gif",
        ),
        (
            "HTML named .mp4",
            "page.mp4",
            "video/mp4",
            PAGE.to_vec(),
            "video/mp4",
        ),
        (
            "HTML named .mp3",
            "page.mp3",
            "audio/mpeg",
            PAGE.to_vec(),
            "audio/mpeg",
        ),
        (
            "HTML named .txt, declared text/html",
            "page.txt",
            "text/html",
            PAGE.to_vec(),
            PLAIN,
        ),
        (
            "HTML named .pdf",
            "page.pdf",
            "text/html",
            PAGE.to_vec(),
            "application/pdf",
        ),
        (
            "HTML without extension, declared image/png",
            "page",
            "image/png",
            PAGE.to_vec(),
            PLAIN,
        ),
        (
            "JavaScript",
            "evil.js",
            "text/javascript",
            b"alert(document.domain)".to_vec(),
            PLAIN,
        ),
        (
            "CSS",
            "evil.css",
            "text/css",
            b"body{background:url(javascript:alert(1))}".to_vec(),
            PLAIN,
        ),
        (
            "GIF/HTML polyglot",
            "poly.gif",
            "image/gif",
            [b"GIF89a".as_slice(), PAGE].concat(),
            "image/gif",
        ),
        (
            "PNG magic then HTML, named .html",
            "poly.html",
            "image/png",
            [b"\x89PNG\r\n\x1a\n".as_slice(), PAGE].concat(),
            PLAIN,
        ),
        (
            "UTF-16 HTML",
            "u16.html",
            "text/html",
            b"\xff\xfe<\0h\0t\0m\0l\0>\0".to_vec(),
            PLAIN,
        ),
    ]
}

#[track_caller]
fn assert_contained(label: &str, reply: &Reply, want: &str) {
    assert_eq!(reply.header("content-type"), Some(want), "{label}");
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{label}"
    );
    let csp = reply.header("content-security-policy").unwrap_or_default();
    let inline_pdf = want == "application/pdf" && !label.contains("download");
    assert!(inline_pdf || csp.contains("sandbox"), "{label}: {csp}");
    assert!(
        csp.contains("default-src 'none'") || inline_pdf,
        "{label}: {csp}"
    );
}

#[tokio::test]
async fn markup_in_any_disguise_is_never_served_as_a_document() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    for (label, name, declared, data, want) in corpus() {
        let mut part = file_part(name, &data);
        part.content_type = Some(declared.into());
        let reply = upload_parts(&app, t, "", &[part]).await;
        reply.assert_status(201);
        let entry = reply.json()["items"][0].clone();
        for route in ["content", "preview", "download"] {
            let url = format!("{}/{route}", file_url(id(&entry)));
            let label = format!("{label} via {route}");
            let reply = get_unchanged(&app, &label, &url, t).await;
            assert_eq!(reply.body, data, "{label}");
            assert_contained(&label, &reply, want);
        }
    }
}

#[tokio::test]
async fn query_parameters_cannot_choose_the_type_or_force_inline_rendering() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "page.html", PAGE).await;
    for query in [
        "type=text/html",
        "content_type=text/html",
        "response-content-type=text/html",
        "inline=true",
        "download=0",
        "disposition=inline",
        "mime=text%2Fhtml%3Bcharset%3Dutf-8",
    ] {
        for route in ["content", "preview"] {
            let url = format!("{}/{route}?{query}", file_url(id(&entry)));
            let label = format!("{route}?{query}");
            let reply = get_unchanged(&app, &label, &url, &alice.access).await;
            assert_contained(&label, &reply, PLAIN);
            let text = String::from_utf8_lossy(&reply.body);
            assert!(!text.contains("charset%3D"), "{label} reflected");
        }
    }
}

#[tokio::test]
async fn names_built_to_break_the_download_header_are_encoded_not_injected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for name in [
        "a\"; filename=\"evil.exe",
        "r\u{e9}sum\u{e9} \"final\";.pdf",
        "x%0d%0aSet-Cookie: a=b.txt",
        "<img src=x onerror=alert(1)>.png",
    ] {
        let put = put_path(&app, &alice.access, &format!("/{name}"), b"bytes").await;
        put.assert_status(201);
        let entry = put.json();
        let url = format!("{}/download", file_url(id(&entry)));
        let reply = get_unchanged(&app, name, &url, &alice.access).await;
        let disposition = reply.header("content-disposition").expect("disposition");
        assert!(
            disposition.starts_with("attachment;"),
            "{name}: {disposition}"
        );
        // One quoted fallback name (two quotes, none inside) and one `filename*`.
        assert_eq!(disposition.matches('"').count(), 2, "{name}: {disposition}");
        assert!(!disposition.contains(['\r', '\n']), "{name}: {disposition}");
        assert_eq!(disposition_name(disposition), name, "{name}");
        assert!(reply.header("set-cookie").is_none(), "{name}");
    }
}
