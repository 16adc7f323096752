//! Tests: the file tree — folders, names, reading by id and by path, listing and search,
//! delete (SPEC §5 "Files").

use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

const ENTRY_KEYS: [&str; 14] = [
    "category",
    "created_at",
    "extension",
    "id",
    "kind",
    "mime_type",
    "modified_at",
    "name",
    "parent_id",
    "path",
    "sha256",
    "size",
    "updated_at",
    "versions",
];

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort_unstable();
    keys
}

fn rfc3339(value: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().expect("timestamp string"))
        .expect("RFC 3339")
}

/// Names that SPEC §5 rejects (NUL is tested separately: it cannot travel in a multipart
/// header).
fn bad_names() -> Vec<String> {
    let mut names: Vec<String> = ["", ".", "..", "a/b", "a\\b", "../x", "tab\tname"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.push("n".repeat(256));
    names.push("é".repeat(128));
    names
}

#[tokio::test]
async fn a_new_folder_is_201_with_every_entry_field() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let docs = mkdir(&app, &alice.access, "Docs", None).await;
    assert_eq!(keys(&docs), ENTRY_KEYS);
    let expected = json!({"parent_id": null, "name": "Docs", "kind": "folder", "path": "/Docs",
        "size": 0, "mime_type": null, "category": null, "extension": null, "sha256": null,
        "versions": 0});
    for (key, want) in expected.as_object().expect("object") {
        assert_eq!(&docs[key], want, "{key}");
    }
    assert_eq!(rfc3339(&docs["created_at"]), rfc3339(&docs["updated_at"]));
    assert_eq!(rfc3339(&docs["created_at"]), rfc3339(&docs["modified_at"]));
    assert_eq!(
        rfc3339(&docs["created_at"]).offset().local_minus_utc(),
        0,
        "UTC"
    );

    let year = mkdir(&app, &alice.access, "2024", Some(id(&docs))).await;
    assert_eq!(year["parent_id"], docs["id"]);
    assert_eq!(year["path"], "/Docs/2024");
    assert_eq!(
        get_ok(&app, &file_url(id(&year)), &alice.access).await,
        year
    );
    assert_eq!(
        get_ok(&app, &file_url(id(&docs)), &alice.access).await,
        docs
    );
}

#[tokio::test]
async fn a_folder_name_taken_in_the_same_folder_is_a_name_conflict() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let docs = mkdir(&app, &alice.access, "Docs", None).await;
    let again = app
        .post(FOLDERS, Some(&alice.access), json!({"name": "Docs"}))
        .await;
    again.assert_error(409, "name_conflict");
    // Names are case-sensitive, and the same name is fine in another folder.
    mkdir(&app, &alice.access, "docs", None).await;
    mkdir(&app, &alice.access, "Docs", Some(id(&docs))).await;
    assert_eq!(entry_rows(&app, alice.id), 3);
    let unknown = app
        .post(
            FOLDERS,
            Some(&alice.access),
            json!({"name": "x", "parent_id": 999_999}),
        )
        .await;
    unknown.assert_error(404, "not_found");
}

#[tokio::test]
async fn invalid_names_are_refused_on_folder_create_upload_and_rename_and_create_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let keep = upload(&app, &alice.access, "keep.txt", b"keep").await;
    let blobs = blob_files(&app);
    let mut all = bad_names();
    all.push("x\u{0}y".into());
    for name in &all {
        let folder = app
            .post(FOLDERS, Some(&alice.access), json!({"name": name}))
            .await;
        folder.assert_error(422, "invalid_name");
        let rename = app
            .patch(
                &file_url(id(&keep)),
                Some(&alice.access),
                json!({"name": name}),
            )
            .await;
        rename.assert_error(422, "invalid_name");
    }
    for name in bad_names() {
        let parts = [file_part(&name, b"payload")];
        let reply = upload_parts(&app, &alice.access, "", &parts).await;
        reply.assert_error(422, "invalid_name");
    }
    // A NUL byte cannot appear in a multipart header at all: the form itself is malformed.
    let reply = upload_parts(&app, &alice.access, "", &[file_part("x\u{0}y", b"p")]).await;
    reply.assert_error(400, "bad_request");

    assert_eq!(entry_rows(&app, alice.id), 1);
    assert_eq!(blob_files(&app), blobs);
    assert_eq!(tmp_files(&app), Vec::<std::path::PathBuf>::new());
    assert_eq!(storage_used(&app, alice.id), 4);
    let kept = get_ok(&app, &file_url(id(&keep)), &alice.access).await;
    assert_eq!(kept["name"], "keep.txt");
    // The longest legal name is 255 bytes.
    let longest = format!("{}.txt", "n".repeat(251));
    mkdir(&app, &alice.access, &longest, None).await;
}

#[tokio::test]
async fn names_are_nfc_normalised_and_either_form_resolves() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let decomposed = "cafe\u{301}.txt";
    let composed = "caf\u{e9}.txt";
    let entry = upload(&app, &alice.access, decomposed, b"au lait").await;
    assert_eq!(entry["name"], composed);
    assert_eq!(entry["path"], format!("/{composed}"));
    assert_eq!(names(&list(&app, &alice.access, "").await), [composed]);
    for form in [decomposed, composed] {
        let url = format!("{FILES}/by-path?path={}", enc(form));
        assert_eq!(get_ok(&app, &url, &alice.access).await["id"], entry["id"]);
    }
    // The same name in the other form is the same name.
    let clash = app
        .post(FOLDERS, Some(&alice.access), json!({"name": composed}))
        .await;
    clash.assert_error(409, "name_conflict");
    let folder = mkdir(&app, &alice.access, "Zoe\u{308}", None).await;
    assert_eq!(folder["name"], "Zo\u{eb}");
}

#[tokio::test]
async fn by_path_resolves_with_an_optional_leading_slash_and_unknown_paths_are_404() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let a = mkdir(&app, &alice.access, "a", None).await;
    let b = upload_into(&app, &alice.access, id(&a), "b.txt", b"bee").await;
    let by_path = |p: &str| format!("{FILES}/by-path?path={}", enc(p));
    for path in ["/a/b.txt", "a/b.txt"] {
        assert_eq!(get_ok(&app, &by_path(path), &alice.access).await, b);
    }
    assert_eq!(get_ok(&app, &by_path("/a"), &alice.access).await, a);
    for missing in ["/a/c.txt", "/nope/b.txt", "/a/b.txt/c", "/A/b.txt"] {
        let reply = app.get(&by_path(missing), Some(&alice.access)).await;
        reply.assert_error(404, "not_found");
    }
    for bad in ["a//b.txt", "/a/../a/b.txt", "/"] {
        let reply = app.get(&by_path(bad), Some(&alice.access)).await;
        reply.assert_error(422, "invalid_name");
    }
    app.get(&file_url(999_999), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn listing_puts_folders_first_sorted_by_name_in_either_order() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for name in ["m.txt", "a.txt", "z.txt"] {
        upload(&app, &alice.access, name, name.as_bytes()).await;
    }
    for name in ["zeta", "beta"] {
        mkdir(&app, &alice.access, name, None).await;
    }
    let asc = list(&app, &alice.access, "").await;
    assert_eq!(names(&asc), ["beta", "zeta", "a.txt", "m.txt", "z.txt"]);
    assert_eq!(
        (&asc["total"], &asc["limit"], &asc["offset"]),
        (&json!(5), &json!(100), &json!(0))
    );
    let desc = list(&app, &alice.access, "?order=desc").await;
    assert_eq!(names(&desc), ["zeta", "beta", "z.txt", "m.txt", "a.txt"]);
    assert_eq!(desc["items"][4]["path"], "/a.txt");
}

#[tokio::test]
async fn listing_sorts_by_size_created_at_updated_at_and_modified_at() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let sizes = [("one.txt", 3), ("two.txt", 1), ("three.txt", 2)];
    for (name, size) in sizes {
        upload(&app, &alice.access, name, &vec![b'x'; size]).await;
    }
    mkdir(&app, &alice.access, "folder", None).await;
    // Timestamps are seconds; give each file distinct ones directly.
    let db = app.db();
    for (name, created, updated, modified) in [
        ("one.txt", 100, 900, 20),
        ("two.txt", 300, 700, 30),
        ("three.txt", 200, 800, 10),
    ] {
        db.execute(
            "UPDATE entries SET created_at = ?2, updated_at = ?3, modified_at = ?4 WHERE name = ?1",
            rusqlite::params![name, created, updated, modified],
        )
        .expect("update");
    }
    let cases = [
        ("?sort=size", ["folder", "two.txt", "three.txt", "one.txt"]),
        (
            "?sort=size&order=desc",
            ["folder", "one.txt", "three.txt", "two.txt"],
        ),
        (
            "?sort=created_at",
            ["folder", "one.txt", "three.txt", "two.txt"],
        ),
        (
            "?sort=created_at&order=desc",
            ["folder", "two.txt", "three.txt", "one.txt"],
        ),
        (
            "?sort=updated_at",
            ["folder", "two.txt", "three.txt", "one.txt"],
        ),
        (
            "?sort=updated_at&order=desc",
            ["folder", "one.txt", "three.txt", "two.txt"],
        ),
        (
            "?sort=modified_at",
            ["folder", "three.txt", "one.txt", "two.txt"],
        ),
        (
            "?sort=modified_at&order=desc",
            ["folder", "two.txt", "one.txt", "three.txt"],
        ),
    ];
    for (query, want) in cases {
        assert_eq!(
            names(&list(&app, &alice.access, query).await),
            want,
            "{query}"
        );
    }
    let bad = app
        .get(&format!("{FILES}?sort=colour"), Some(&alice.access))
        .await;
    bad.assert_error(400, "bad_request");
}

#[tokio::test]
async fn listing_pages_with_limit_offset_and_total() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for n in 0..5 {
        upload(&app, &alice.access, &format!("f{n}.txt"), b"x").await;
    }
    let page = list(&app, &alice.access, "?limit=2&offset=1").await;
    assert_eq!(names(&page), ["f1.txt", "f2.txt"]);
    assert_eq!(
        (&page["total"], &page["limit"], &page["offset"]),
        (&json!(5), &json!(2), &json!(1))
    );
    let past = list(&app, &alice.access, "?offset=10").await;
    assert_eq!((&past["items"], &past["total"]), (&json!([]), &json!(5)));
    let clamped = list(&app, &alice.access, "?limit=5000").await;
    assert_eq!(
        (&clamped["limit"], names(&clamped).len()),
        (&json!(1000), 5)
    );
    for bad in ["?limit=-1", "?offset=-1", "?limit=ten"] {
        let reply = app.get(&format!("{FILES}{bad}"), Some(&alice.access)).await;
        reply.assert_error(400, "bad_request");
    }
}

#[tokio::test]
async fn listing_a_file_or_an_unknown_folder_is_404_and_trash_is_not_listed() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "a.txt", b"a").await;
    let trashed = upload(&app, &alice.access, "b.txt", b"b").await;
    app.delete(&file_url(id(&trashed)), Some(&alice.access))
        .await
        .assert_status(204);
    assert_eq!(names(&list(&app, &alice.access, "").await), ["a.txt"]);
    for parent in [id(&file), 999_999, id(&trashed)] {
        let reply = app
            .get(&format!("{FILES}?parent_id={parent}"), Some(&alice.access))
            .await;
        reply.assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn delete_is_204_and_the_entry_disappears_from_listing_and_get() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "bye.txt", b"bye").await;
    let reply = app.delete(&file_url(id(&entry)), Some(&alice.access)).await;
    reply.assert_status(204);
    assert_eq!(reply.body, b"");
    assert_eq!(list(&app, &alice.access, "").await["total"], 0);
    let get = app.get(&file_url(id(&entry)), Some(&alice.access)).await;
    get.assert_error(404, "not_found");
    let again = app.delete(&file_url(id(&entry)), Some(&alice.access)).await;
    again.assert_error(404, "not_found");
    let by_path = app
        .get(
            &format!("{FILES}/by-path?path=bye.txt"),
            Some(&alice.access),
        )
        .await;
    by_path.assert_error(404, "not_found");
    let unauthenticated = app
        .send(Method::DELETE, &file_url(id(&entry)), None, None)
        .await;
    unauthenticated.assert_error(401, "unauthorized");
}
