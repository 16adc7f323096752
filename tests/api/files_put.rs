//! Tests: raw uploads with `PUT /files/by-path` — missing folders, replacement in place,
//! path rules (SPEC §5).

use std::path::PathBuf;

use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;

fn no_tmp() -> Vec<PathBuf> {
    Vec::new()
}

#[tokio::test]
async fn put_by_path_creates_missing_folders_then_replaces_in_place() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let created = put_path(&app, &alice.access, "/a/b/c.txt", b"first").await;
    created.assert_status(201);
    let entry = created.json();
    assert_eq!(
        (&entry["path"], &entry["name"], &entry["size"]),
        (&json!("/a/b/c.txt"), &json!("c.txt"), &json!(5))
    );
    let b = get_ok(
        &app,
        &file_url(entry["parent_id"].as_i64().expect("parent")),
        &alice.access,
    )
    .await;
    assert_eq!((&b["path"], &b["kind"]), (&json!("/a/b"), &json!("folder")));

    let replaced = put_path(&app, &alice.access, "a/b/c.txt", b"second version").await;
    replaced.assert_status(200);
    let again = replaced.json();
    assert_eq!(
        (&again["id"], &again["sha256"]),
        (&entry["id"], &json!(sha_hex(b"second version")))
    );
    // The first content stays as a version (SPEC §13), and counts.
    assert_eq!(again["versions"], 1);
    let mut blobs = vec![sha_hex(b"first"), sha_hex(b"second version")];
    blobs.sort();
    assert_eq!(blob_files(&app), blobs);
    assert_eq!(storage_used(&app, alice.id), 14 + 5);
    let bytes = app
        .get(
            &format!("{}/content", file_url(id(&entry))),
            Some(&alice.access),
        )
        .await;
    assert_eq!(bytes.body, b"second version");
    // Unicode paths, and a body with no Content-Type at all (what `curl -T` sends).
    let unicode = put_path(&app, &alice.access, "/写真/🎉 party.txt", b"yay").await;
    unicode.assert_status(201);
    assert_eq!(unicode.json()["path"], "/写真/🎉 party.txt");
    assert_eq!(entry_rows(&app, alice.id), 5);
}

#[tokio::test]
async fn put_by_path_through_a_file_or_onto_a_folder_is_a_name_conflict() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    put_path(&app, &alice.access, "/a.txt", b"a")
        .await
        .assert_status(201);
    mkdir(&app, &alice.access, "dir", None).await;
    for path in ["/a.txt/b", "/a.txt/deeper/b.txt", "/dir"] {
        put_path(&app, &alice.access, path, b"zz")
            .await
            .assert_error(409, "name_conflict");
    }
    assert_eq!(entry_rows(&app, alice.id), 2);
    assert_eq!(blob_files(&app), [sha_hex(b"a")]);
    assert_eq!(tmp_files(&app), no_tmp());
}

#[tokio::test]
async fn bad_put_paths_are_invalid_names_and_create_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for path in ["", "/", "a//b", "a/", "/a/../b", "./a", "/a/\tb"] {
        put_path(&app, &alice.access, path, b"zz")
            .await
            .assert_error(422, "invalid_name");
    }
    assert_eq!(entry_rows(&app, alice.id), 0);
    assert_eq!(blob_files(&app), Vec::<String>::new());
    assert_eq!(tmp_files(&app), no_tmp());
}

#[tokio::test]
async fn replacing_a_file_with_identical_bytes_keeps_its_blob() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let first = put_path(&app, &alice.access, "/same.txt", b"unchanged").await;
    first.assert_status(201);
    let again = put_path(&app, &alice.access, "/same.txt", b"unchanged").await;
    again.assert_status(200);
    assert_eq!(again.json()["id"], first.json()["id"]);
    let overwrite = upload_query(
        &app,
        &alice.access,
        "?on_conflict=overwrite",
        "same.txt",
        b"unchanged",
    )
    .await;
    assert_eq!(overwrite["id"], first.json()["id"]);
    let sha = sha_hex(b"unchanged");
    assert_eq!(blob_refs(&app, &sha), Some(1));
    assert_eq!(stored_blob(&app, &sha).expect("blob kept"), b"unchanged");
    assert_eq!(storage_used(&app, alice.id), 9);
    let content = app
        .get(
            &format!("{}/content", file_url(id(&overwrite))),
            Some(&alice.access),
        )
        .await;
    assert_eq!(content.body, b"unchanged");
}
