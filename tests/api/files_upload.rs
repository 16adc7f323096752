//! Tests: uploads — multipart `POST /files` (one or many files, conflict policies, all or
//! nothing) and raw `PUT /files/by-path` (SPEC §5).

use std::path::PathBuf;

use poem::http::Method;
use poem::test::{TestForm, TestFormField};
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;

fn no_tmp() -> Vec<PathBuf> {
    Vec::new()
}

#[tokio::test]
async fn one_uploaded_file_is_201_with_its_entry_and_its_blob_on_disk() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = b"hello, drive\n";
    let reply = upload_parts(&app, &alice.access, "", &[file_part("hello.txt", data)]).await;
    reply.assert_status(201);
    let body = reply.json();
    let entry = &body["items"][0];
    let expected = json!({"parent_id": null, "name": "hello.txt", "kind": "file",
        "path": "/hello.txt", "size": data.len(), "mime_type": "text/plain", "category": "text",
        "extension": "txt", "sha256": sha_hex(data)});
    for (key, want) in expected.as_object().expect("object") {
        assert_eq!(&entry[key], want, "{key}");
    }
    assert_eq!(
        body.as_object().expect("object").len(),
        1,
        "only items: {body}"
    );
    let sha = sha_hex(data);
    assert_eq!(stored_blob(&app, &sha).expect("blob"), data);
    assert_eq!(blob_refs(&app, &sha), Some(1));
    assert_eq!(blob_files(&app), [sha]);
    assert_eq!(storage_used(&app, alice.id), data.len() as i64);
    assert_eq!(tmp_files(&app), no_tmp());
    assert_eq!(
        get_ok(&app, &file_url(id(entry)), &alice.access).await,
        *entry
    );
}

#[tokio::test]
async fn three_files_in_one_request_are_all_created_in_order() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let docs = mkdir(&app, &alice.access, "docs", None).await;
    let files: [(&str, &[u8]); 3] = [
        ("a.md", b"# A"),
        ("b.csv", b"x,y\n1,2\n"),
        ("c.bin", &[0, 1, 2, 255]),
    ];
    // A standard client (poem's form builder), with `parent_id` as a form field.
    let mut form = TestForm::new().text("parent_id", id(&docs).to_string());
    for (name, data) in files {
        form = form.field(
            TestFormField::bytes(data.to_vec())
                .name("file")
                .filename(name),
        );
    }
    let reply = app
        .send_form(Method::POST, FILES, Some(&alice.access), form)
        .await;
    reply.assert_status(201);
    let body = reply.json();
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    for (item, (name, data)) in items.iter().zip(files) {
        assert_eq!(item["path"], format!("/docs/{name}"));
        assert_eq!(item["parent_id"], docs["id"]);
        assert_eq!(item["size"], data.len());
        assert_eq!(item["sha256"], sha_hex(data));
        let blob = stored_blob(&app, &sha_hex(data)).expect("blob");
        assert_eq!(blob, data);
    }
    assert_eq!(storage_used(&app, alice.id), 3 + 8 + 4);
    let listed = list(&app, &alice.access, &format!("?parent_id={}", id(&docs))).await;
    assert_eq!(names(&listed), ["a.md", "b.csv", "c.bin"]);
}

#[tokio::test]
async fn unicode_names_survive_upload_listing_and_the_download_header() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let cases = [
        ("报告 2024.txt", "报告 2024.txt"),
        ("🎉.png", "🎉.png"),
        ("Zoe\u{308} notes.md", "Zo\u{eb} notes.md"),
        ("ring\u{20dd}.txt", "ring\u{20dd}.txt"),
    ];
    for (sent, stored) in cases {
        let entry = upload(&app, &alice.access, sent, stored.as_bytes()).await;
        assert_eq!(entry["name"], stored);
        assert_eq!(entry["path"], format!("/{stored}"));
        let download = app
            .get(
                &format!("{}/download", file_url(id(&entry))),
                Some(&alice.access),
            )
            .await;
        download.assert_status(200);
        assert_eq!(download.body, stored.as_bytes());
        let disposition = download.header("content-disposition").expect("disposition");
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(disposition.is_ascii(), "{disposition}");
        assert_eq!(disposition_name(disposition), stored);
    }
    let mut want: Vec<String> = cases.iter().map(|(_, s)| s.to_string()).collect();
    want.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&list(&app, &alice.access, "").await), want);
}

#[tokio::test]
async fn on_conflict_rename_numbers_the_new_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let first = upload(&app, &alice.access, "a.txt", b"1").await;
    let second = upload(&app, &alice.access, "a.txt", b"2").await;
    let third = upload_query(&app, &alice.access, "?on_conflict=rename", "a.txt", b"3").await;
    assert_eq!(
        (&first["name"], &second["name"], &third["name"]),
        (&json!("a.txt"), &json!("a (1).txt"), &json!("a (2).txt"))
    );
    assert_eq!(third["path"], "/a (2).txt");
    assert_eq!(
        names(&list(&app, &alice.access, "").await),
        ["a (1).txt", "a (2).txt", "a.txt"]
    );
    // Two parts with one name in one request: both are kept.
    let parts = [file_part("b.txt", b"x"), file_part("b.txt", b"y")];
    let reply = upload_parts(&app, &alice.access, "", &parts).await;
    reply.assert_status(201);
    let items = reply.json()["items"].clone();
    assert_eq!(
        (&items[0]["name"], &items[1]["name"]),
        (&json!("b.txt"), &json!("b (1).txt"))
    );
}

#[tokio::test]
async fn on_conflict_overwrite_keeps_the_id_and_releases_the_old_blob_when_versions_are_off() {
    let app = TestApp::with_config(|c| c.versions.max_per_file = 0);
    let alice = app.register("alice").await;
    let old = upload(&app, &alice.access, "a.txt", b"old").await;
    let new = upload_query(
        &app,
        &alice.access,
        "?on_conflict=overwrite",
        "a.txt",
        b"brand new",
    )
    .await;
    assert_eq!(
        (&new["id"], &new["name"], &new["size"]),
        (&old["id"], &json!("a.txt"), &json!(9))
    );
    assert_eq!(new["sha256"], sha_hex(b"brand new"));
    assert_ne!(new["sha256"], old["sha256"]);
    assert_eq!(
        blob_files(&app),
        [sha_hex(b"brand new")],
        "old blob file removed"
    );
    assert_eq!(blob_refs(&app, &sha_hex(b"old")), None);
    assert_eq!(storage_used(&app, alice.id), 9);
    let body = app
        .get(
            &format!("{}/content", file_url(id(&old))),
            Some(&alice.access),
        )
        .await;
    assert_eq!(body.body, b"brand new");
    assert_eq!(names(&list(&app, &alice.access, "").await), ["a.txt"]);

    // Content still used by another entry survives an overwrite.
    upload(&app, &alice.access, "keep.txt", b"brand new").await;
    upload_query(
        &app,
        &alice.access,
        "?on_conflict=overwrite",
        "a.txt",
        b"third",
    )
    .await;
    assert_eq!(blob_refs(&app, &sha_hex(b"brand new")), Some(1));
    assert!(blob_files(&app).contains(&sha_hex(b"brand new")));
    // A folder is never overwritten by a file.
    mkdir(&app, &alice.access, "dir", None).await;
    let reply = upload_parts(
        &app,
        &alice.access,
        "?on_conflict=overwrite",
        &[file_part("dir", b"f")],
    )
    .await;
    reply.assert_error(409, "name_conflict");
}

#[tokio::test]
async fn on_conflict_fail_is_a_name_conflict_and_changes_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    upload(&app, &alice.access, "a.txt", b"original").await;
    let reply = upload_parts(
        &app,
        &alice.access,
        "?on_conflict=fail",
        &[file_part("a.txt", b"other")],
    )
    .await;
    reply.assert_error(409, "name_conflict");
    assert_eq!(blob_files(&app), [sha_hex(b"original")]);
    assert_eq!(
        (entry_rows(&app, alice.id), storage_used(&app, alice.id)),
        (1, 8)
    );
    assert_eq!(tmp_files(&app), no_tmp());
    let fresh = upload_query(&app, &alice.access, "?on_conflict=fail", "b.txt", b"b").await;
    assert_eq!(fresh["name"], "b.txt");
    let bad = upload_parts(
        &app,
        &alice.access,
        "?on_conflict=maybe",
        &[file_part("c.txt", b"c")],
    )
    .await;
    bad.assert_error(400, "bad_request");
}

#[tokio::test]
async fn an_upload_is_all_or_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    upload(&app, &alice.access, "taken.txt", b"t").await;
    let before = (
        entry_rows(&app, alice.id),
        blob_files(&app),
        storage_used(&app, alice.id),
    );
    let invalid = [
        file_part("first.txt", b"first part"),
        file_part("../x", b"second"),
    ];
    upload_parts(&app, &alice.access, "", &invalid)
        .await
        .assert_error(422, "invalid_name");
    let clash = [
        file_part("fresh.txt", b"fresh part"),
        file_part("taken.txt", b"again"),
    ];
    upload_parts(&app, &alice.access, "?on_conflict=fail", &clash)
        .await
        .assert_error(409, "name_conflict");
    // The form is closed: a part it does not take is refused, after a good file too.
    let stray = [
        file_part("kept-out.txt", b"first part"),
        text_part("comment", "hello"),
    ];
    let reply = upload_parts(&app, &alice.access, "", &stray).await;
    reply.assert_error(400, "bad_request");
    let message = reply.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("\"comment\""), "{message}");
    let after = (
        entry_rows(&app, alice.id),
        blob_files(&app),
        storage_used(&app, alice.id),
    );
    assert_eq!(after, before);
    assert_eq!(tmp_files(&app), no_tmp());
    assert_eq!(names(&list(&app, &alice.access, "").await), ["taken.txt"]);
}

#[tokio::test]
async fn an_upload_without_a_file_part_is_a_bad_request() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let folder = mkdir(&app, &alice.access, "f", None).await;
    let only_parent = [text_part("parent_id", &id(&folder).to_string())];
    upload_parts(&app, &alice.access, "", &only_parent)
        .await
        .assert_error(400, "bad_request");
    let wrong_field = [text_part("other", "x")];
    upload_parts(&app, &alice.access, "", &wrong_field)
        .await
        .assert_error(400, "bad_request");
    let bad_parent = [text_part("parent_id", "seven"), file_part("a.txt", b"a")];
    upload_parts(&app, &alice.access, "", &bad_parent)
        .await
        .assert_error(400, "bad_request");
    assert_eq!(entry_rows(&app, alice.id), 1);
    assert_eq!(blob_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn parent_id_works_as_a_form_field_and_as_a_query_parameter() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let docs = mkdir(&app, &alice.access, "docs", None).await;
    let parts = [
        text_part("parent_id", &id(&docs).to_string()),
        file_part("field.txt", b"1"),
    ];
    let reply = upload_parts(&app, &alice.access, "", &parts).await;
    reply.assert_status(201);
    assert_eq!(reply.json()["items"][0]["path"], "/docs/field.txt");
    let query = upload_into(&app, &alice.access, id(&docs), "query.txt", b"2").await;
    assert_eq!(
        (&query["path"], &query["parent_id"]),
        (&json!("/docs/query.txt"), &docs["id"])
    );
}

#[tokio::test]
async fn a_parent_that_is_a_file_or_unknown_is_404_and_leaves_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "plain.txt", b"plain").await;
    let trashed = mkdir(&app, &alice.access, "trashed", None).await;
    app.delete(&file_url(id(&trashed)), Some(&alice.access))
        .await
        .assert_status(204);
    for parent in [id(&file), 999_999, id(&trashed)] {
        let reply = upload_parts(
            &app,
            &alice.access,
            &format!("?parent_id={parent}"),
            &[file_part("x.txt", b"xx")],
        )
        .await;
        reply.assert_error(404, "not_found");
        let field = [
            text_part("parent_id", &parent.to_string()),
            file_part("y.txt", b"yy"),
        ];
        upload_parts(&app, &alice.access, "", &field)
            .await
            .assert_error(404, "not_found");
    }
    assert_eq!(entry_rows(&app, alice.id), 2);
    assert_eq!(blob_files(&app), [sha_hex(b"plain")]);
    assert_eq!(tmp_files(&app), no_tmp());
    assert_eq!(storage_used(&app, alice.id), 5);
}

#[tokio::test]
async fn a_quoted_filename_from_a_standard_client_keeps_its_quotes() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let name = "say \"hi\" ; ok.txt";
    let form = TestForm::new().field(
        TestFormField::bytes(b"hi".to_vec())
            .name("file")
            .filename(name),
    );
    let reply = app
        .send_form(Method::POST, FILES, Some(&alice.access), form)
        .await;
    reply.assert_status(201);
    let body = reply.json();
    let entry = &body["items"][0];
    assert_eq!(entry["name"], name);
    let download = app
        .get(
            &format!("{}/download", file_url(id(entry))),
            Some(&alice.access),
        )
        .await;
    let disposition = download.header("content-disposition").expect("disposition");
    assert_eq!(
        disposition,
        "attachment; filename=\"say _hi_ ; ok.txt\"; filename*=UTF-8''say%20%22hi%22%20%3B%20ok.txt"
    );
    assert_eq!(disposition_name(disposition), name);
}
