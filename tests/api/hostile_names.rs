//! Hostile input: names and paths (SPEC §5) on every route that takes one: multipart
//! filenames, folder creation, rename and `PUT /files/by-path`. Traversal, NUL, control
//! characters, overlong names and Unicode tricks are 422 `invalid_name` and leave no row,
//! no blob and no temp file behind.

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;

/// Names that are invalid everywhere, with a label (raw bytes would hide in a message).
fn bad_names() -> Vec<(&'static str, String)> {
    vec![
        ("dot", ".".into()),
        ("dot dot", "..".into()),
        ("parent traversal", "../../etc/passwd".into()),
        ("absolute path", "/etc/passwd".into()),
        ("nested path", "a/b.txt".into()),
        ("backslash traversal", "..\\..\\x.txt".into()),
        ("windows drive", "C:\\x.txt".into()),
        ("UNC path", "\\\\srv\\share".into()),
        ("NUL inside", "a\u{0}.txt".into()),
        ("NUL suffix", "a.txt\u{0}.png".into()),
        ("tab", "a\tb.txt".into()),
        ("escape sequence", "a\u{1b}[31mred.txt".into()),
        ("DEL", "a\u{7f}.txt".into()),
        ("C1 next-line", "a\u{85}.txt".into()),
        ("bell", "a\u{7}.txt".into()),
        ("256 bytes", "a".repeat(256)),
        ("128 two-byte characters (256 bytes)", "é".repeat(128)),
        ("64 four-byte emoji (256 bytes)", "😀".repeat(64)),
        (
            "NFD form over 255 bytes after NFC",
            format!("{}e\u{301}", "a".repeat(254)),
        ),
    ]
}

#[tokio::test]
async fn bad_multipart_filenames_are_invalid_and_leave_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for (label, name) in bad_names() {
        let parts = [file_part(&name, b"payload")];
        let request = upload_parts(&app, &alice.access, "", &parts);
        // A control byte other than tab cannot appear in a multipart part header at all
        // (RFC 9110 field values): the body is malformed before any name is read.
        let malformed = name.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
        let (status, code) = if malformed {
            (400, "bad_request")
        } else {
            (422, "invalid_name")
        };
        refused(
            &app.data_dir(),
            &format!("upload: {label}"),
            status,
            code,
            request,
        )
        .await;
    }
    // One bad part among good ones: all or nothing.
    let parts = [
        file_part("good.txt", b"good"),
        file_part("../bad.txt", b"bad"),
    ];
    let request = upload_parts(&app, &alice.access, "", &parts);
    refused(
        &app.data_dir(),
        "good part then a bad one",
        422,
        "invalid_name",
        request,
    )
    .await;
}

#[tokio::test]
async fn bad_folder_names_and_renames_are_invalid_and_change_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "keep.txt", b"keep").await;
    let mut cases = Vec::new();
    for (label, name) in bad_names() {
        let body = json!({"name": name});
        cases.push(Case::new(format!("mkdir: {label}"), Method::POST, FOLDERS).json(body.clone()));
        let rename = Case::new(
            format!("rename: {label}"),
            Method::PATCH,
            file_url(id(&file)),
        );
        cases.push(rename.json(body));
    }
    cases.push(Case::new("mkdir: empty", Method::POST, FOLDERS).json(json!({"name": ""})));
    cases.push(
        Case::new("rename: empty", Method::PATCH, file_url(id(&file))).json(json!({"name": ""})),
    );
    let cases = cases
        .into_iter()
        .map(|c| c.bearer(&alice.access).expect(422, "invalid_name"))
        .collect();
    run_cases(&app, cases).await;
    assert_eq!(
        get_ok(&app, &file_url(id(&file)), &alice.access).await["name"],
        "keep.txt"
    );
}

#[tokio::test]
async fn bad_by_path_paths_are_invalid_and_create_no_folder() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let paths = [
        "/a/../b.txt",
        "/../b.txt",
        "/a/./b.txt",
        "//b.txt",
        "/a//b.txt",
        "/a/b/",
        "/",
        "",
        "/a/b\u{0}.txt",
        "/a\\..\\b.txt",
        "/a/\u{1b}.txt",
    ];
    for path in paths {
        let request = put_path(&app, &alice.access, path, b"x");
        refused(
            &app.data_dir(),
            &format!("PUT by-path {path:?}"),
            422,
            "invalid_name",
            request,
        )
        .await;
    }
    // Percent-encoded traversal in the raw query is decoded once, then refused.
    for query in ["%2e%2e%2fb.txt", "a%2f%2e%2e%2f%2e%2e%2fb.txt"] {
        let url = format!("{FILES}/by-path?path={query}");
        let bearer = format!("Bearer {}", alice.access);
        let headers = [("authorization", bearer.as_str())];
        let request = app.send_raw(Method::PUT, &url, &headers, b"x".to_vec());
        refused(
            &app.data_dir(),
            &format!("PUT raw query {query}"),
            422,
            "invalid_name",
            request,
        )
        .await;
    }
    assert_eq!(list(&app, &alice.access, "").await["total"], 0);
}

#[tokio::test]
async fn unicode_tricks_are_normalised_and_cannot_smuggle_a_second_name() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    upload(&app, t, "caf\u{e9}.txt", b"nfc").await;
    // NFD of the same name is the same name after NFC: a conflict, not a twin.
    let parts = [file_part("cafe\u{301}.txt", b"nfd")];
    let request = upload_parts(&app, t, "?on_conflict=fail", &parts);
    refused(
        &app.data_dir(),
        "NFD twin of an NFC name",
        409,
        "name_conflict",
        request,
    )
    .await;
    // Look-alike separators are ordinary characters: no folder appears.
    for (label, name) in [
        ("fullwidth solidus", "a\u{ff0f}b.txt"),
        ("division slash", "a\u{2215}b.txt"),
    ] {
        let entry = upload(&app, t, name, b"x").await;
        assert_eq!(
            (entry["name"].as_str(), entry["parent_id"].is_null()),
            (Some(name), true),
            "{label}"
        );
    }
    assert_eq!(list(&app, t, "").await["total"], 3);
}

// Direction overrides and zero-width characters would let a name display as another
// (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`).
#[tokio::test]
async fn bidi_overrides_and_invisible_characters_are_invalid_names() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for (label, name) in [
        ("right-to-left override", "invoice\u{202e}fdp.exe"),
        ("left-to-right isolate", "a\u{2066}b.txt"),
        ("zero-width space", "admin\u{200b}.txt"),
        ("byte-order mark", "\u{feff}a.txt"),
    ] {
        let parts = [file_part(name, b"x")];
        let request = upload_parts(&app, &alice.access, "", &parts);
        refused(&app.data_dir(), label, 422, "invalid_name", request).await;
    }
}
