//! Tests: changing the tree — `PATCH /files/{id}` (rename, move) and `POST /files/{id}/copy`
//! (SPEC §5).

use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

async fn patch(app: &TestApp, token: &str, entry: i64, body: Value) -> Reply {
    app.patch(&file_url(entry), Some(token), body).await
}

async fn copy(app: &TestApp, token: &str, entry: i64, body: Value) -> Reply {
    app.post(&format!("{}/copy", file_url(entry)), Some(token), body)
        .await
}

async fn path_of(app: &TestApp, token: &str, entry: i64) -> Value {
    get_ok(app, &file_url(entry), token).await["path"].clone()
}

#[tokio::test]
async fn patch_renames_moves_or_does_both_and_paths_below_follow() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let src = mkdir(&app, t, "src", None).await;
    let dst = mkdir(&app, t, "dst", None).await;
    let inner = upload_into(&app, t, id(&src), "inner.txt", b"i").await;
    let file = upload(&app, t, "a.txt", b"a").await;

    let renamed = patch(&app, t, id(&file), json!({"name": "b.txt"})).await;
    renamed.assert_status(200);
    let renamed = renamed.json();
    assert_eq!(
        (&renamed["id"], &renamed["name"], &renamed["path"]),
        (&file["id"], &json!("b.txt"), &json!("/b.txt"))
    );
    assert_eq!(renamed["sha256"], file["sha256"]);

    let moved = patch(&app, t, id(&file), json!({"parent_id": id(&dst)}))
        .await
        .json();
    assert_eq!(
        (&moved["name"], &moved["path"], &moved["parent_id"]),
        (&json!("b.txt"), &json!("/dst/b.txt"), &dst["id"])
    );

    let both = patch(
        &app,
        t,
        id(&file),
        json!({"name": "c.txt", "parent_id": id(&src)}),
    )
    .await
    .json();
    assert_eq!(both["path"], "/src/c.txt");

    let folder = patch(
        &app,
        t,
        id(&src),
        json!({"name": "source", "parent_id": id(&dst)}),
    )
    .await
    .json();
    assert_eq!(folder["path"], "/dst/source");
    assert_eq!(path_of(&app, t, id(&inner)).await, "/dst/source/inner.txt");
    assert_eq!(path_of(&app, t, id(&file)).await, "/dst/source/c.txt");
    assert_eq!(names(&list(&app, t, "").await), ["dst"]);
}

#[tokio::test]
async fn patch_null_parent_moves_to_the_root_and_absent_fields_change_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    let file = upload_into(&app, t, id(&dir), "f.txt", b"f").await;
    let same = patch(&app, t, id(&file), json!({})).await;
    same.assert_status(200);
    let same = same.json();
    assert_eq!(
        (&same["name"], &same["parent_id"], &same["path"]),
        (&json!("f.txt"), &dir["id"], &json!("/dir/f.txt"))
    );
    let only_name = patch(&app, t, id(&file), json!({"name": "g.txt"}))
        .await
        .json();
    assert_eq!(only_name["path"], "/dir/g.txt");
    let root = patch(&app, t, id(&file), json!({"parent_id": null}))
        .await
        .json();
    assert_eq!(
        (&root["parent_id"], &root["path"], &root["name"]),
        (&json!(null), &json!("/g.txt"), &json!("g.txt"))
    );
    let null_name = patch(&app, t, id(&file), json!({"name": null}))
        .await
        .json();
    assert_eq!(null_name["name"], "g.txt");
}

#[tokio::test]
async fn a_folder_cannot_move_into_itself_or_below_itself() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let a = mkdir(&app, t, "a", None).await;
    let b = mkdir(&app, t, "b", Some(id(&a))).await;
    let c = mkdir(&app, t, "c", Some(id(&b))).await;
    for target in [&a, &b, &c] {
        patch(&app, t, id(&a), json!({"parent_id": id(target)}))
            .await
            .assert_error(422, "invalid_move");
    }
    patch(&app, t, id(&b), json!({"parent_id": id(&c), "name": "x"}))
        .await
        .assert_error(422, "invalid_move");
    assert_eq!(path_of(&app, t, id(&c)).await, "/a/b/c");
    assert_eq!(path_of(&app, t, id(&b)).await, "/a/b");
    // Moving up is fine.
    let up = patch(&app, t, id(&c), json!({"parent_id": id(&a)}))
        .await
        .json();
    assert_eq!(up["path"], "/a/c");
}

#[tokio::test]
async fn patch_refuses_clashes_unknown_targets_and_unknown_fields() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    upload_into(&app, t, id(&dir), "same.txt", b"1").await;
    let a = upload(&app, t, "a.txt", b"2").await;
    let same = upload(&app, t, "same.txt", b"3").await;
    patch(&app, t, id(&a), json!({"name": "same.txt"}))
        .await
        .assert_error(409, "name_conflict");
    patch(&app, t, id(&same), json!({"parent_id": id(&dir)}))
        .await
        .assert_error(409, "name_conflict");
    patch(&app, t, id(&a), json!({"parent_id": id(&same)}))
        .await
        .assert_error(404, "not_found");
    patch(&app, t, id(&a), json!({"parent_id": 999_999}))
        .await
        .assert_error(404, "not_found");
    patch(&app, t, 999_999, json!({"name": "z.txt"}))
        .await
        .assert_error(404, "not_found");
    for bad in [
        json!({"nme": "x"}),
        json!({"name": 5}),
        json!({"parent_id": "1"}),
    ] {
        patch(&app, t, id(&a), bad)
            .await
            .assert_error(400, "bad_request");
    }
    let root = list(&app, t, "").await;
    assert_eq!(names(&root), ["dir", "a.txt", "same.txt"]);
}

#[tokio::test]
async fn copying_a_file_shares_its_blob_and_counts_in_full() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    let data = b"shared content";
    let file = upload(&app, t, "a.txt", data).await;

    let reply = copy(&app, t, id(&file), json!({})).await;
    reply.assert_status(201);
    let copied = reply.json();
    assert_ne!(copied["id"], file["id"]);
    assert_eq!(
        (&copied["name"], &copied["path"], &copied["sha256"]),
        (&json!("a (1).txt"), &json!("/a (1).txt"), &file["sha256"])
    );
    assert_eq!(
        (&copied["size"], &copied["kind"], &copied["mime_type"]),
        (&file["size"], &json!("file"), &file["mime_type"])
    );
    let elsewhere = copy(&app, t, id(&file), json!({"parent_id": id(&dir)}))
        .await
        .json();
    assert_eq!(elsewhere["path"], "/dir/a.txt");

    let sha = sha_hex(data);
    assert_eq!(blob_refs(&app, &sha), Some(3));
    assert_eq!(blob_files(&app), [sha]);
    assert_eq!(storage_used(&app, alice.id), 3 * data.len() as i64);
    let bytes = app
        .get(&format!("{}/content", file_url(id(&copied))), Some(t))
        .await;
    assert_eq!(bytes.body, data);
    // Without a body at all, the defaults apply too.
    let bare = app
        .send_raw(
            poem::http::Method::POST,
            &format!("{}/copy", file_url(id(&file))),
            &[("authorization", &format!("Bearer {t}"))],
            Vec::new(),
        )
        .await;
    bare.assert_status(201);
    assert_eq!(bare.json()["name"], "a (2).txt");
}

#[tokio::test]
async fn copying_a_folder_copies_everything_below_it() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let src = mkdir(&app, t, "src", None).await;
    let sub = mkdir(&app, t, "sub", Some(id(&src))).await;
    upload_into(&app, t, id(&src), "x.txt", b"xx").await;
    upload_into(&app, t, id(&sub), "y.txt", b"yyy").await;
    let dst = mkdir(&app, t, "dst", None).await;

    let reply = copy(&app, t, id(&src), json!({"parent_id": id(&dst)})).await;
    reply.assert_status(201);
    let copied = reply.json();
    assert_eq!(
        (&copied["path"], &copied["kind"], &copied["parent_id"]),
        (&json!("/dst/src"), &json!("folder"), &dst["id"])
    );
    for (path, data) in [
        ("/dst/src/x.txt", &b"xx"[..]),
        ("/dst/src/sub/y.txt", b"yyy"),
    ] {
        let entry = get_ok(&app, &format!("{FILES}/by-path?path={}", enc(path)), t).await;
        assert_eq!(
            (&entry["path"], &entry["sha256"]),
            (&json!(path), &json!(sha_hex(data)))
        );
        assert_eq!(blob_refs(&app, &sha_hex(data)), Some(2));
    }
    let below = list(&app, t, &format!("?parent_id={}", id(&copied))).await;
    assert_eq!(names(&below), ["sub", "x.txt"]);
    assert_eq!(storage_used(&app, alice.id), 10);
    assert_eq!(entry_rows(&app, alice.id), 9);
    // The original is untouched.
    let original = list(&app, t, &format!("?parent_id={}", id(&src))).await;
    assert_eq!(names(&original), ["sub", "x.txt"]);
    let again = copy(&app, t, id(&src), json!({})).await.json();
    assert_eq!(again["path"], "/src (1)");
}

#[tokio::test]
async fn copy_with_a_clashing_explicit_name_or_into_itself_is_refused() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let a = mkdir(&app, t, "a", None).await;
    let b = mkdir(&app, t, "b", Some(id(&a))).await;
    let file = upload(&app, t, "f.txt", b"f").await;
    upload(&app, t, "g.txt", b"g").await;
    copy(&app, t, id(&file), json!({"name": "g.txt"}))
        .await
        .assert_error(409, "name_conflict");
    copy(&app, t, id(&file), json!({"name": "../g"}))
        .await
        .assert_error(422, "invalid_name");
    for target in [&a, &b] {
        copy(&app, t, id(&a), json!({"parent_id": id(target)}))
            .await
            .assert_error(422, "invalid_move");
    }
    copy(&app, t, id(&file), json!({"parent_id": id(&file)}))
        .await
        .assert_error(404, "not_found");
    copy(&app, t, id(&file), json!({"colour": "red"}))
        .await
        .assert_error(400, "bad_request");
    assert_eq!(entry_rows(&app, alice.id), 4);
    assert_eq!(blob_refs(&app, &sha_hex(b"f")), Some(1));
    let named = copy(
        &app,
        t,
        id(&file),
        json!({"name": "h.txt", "parent_id": id(&b)}),
    )
    .await;
    named.assert_status(201);
    assert_eq!(named.json()["path"], "/a/b/h.txt");
    let to_root = copy(&app, t, id(&named.json()), json!({"parent_id": null}))
        .await
        .json();
    assert_eq!(to_root["path"], "/h.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_renames_to_one_name_leave_exactly_one_entry_with_it() {
    let app = std::sync::Arc::new(TestApp::new());
    let alice = app.register("alice").await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(id(
            &upload(&app, &alice.access, &format!("f{n}.txt"), b"x").await
        ));
    }
    let mut tasks = Vec::new();
    for entry in ids {
        let (app, token) = (app.clone(), alice.access.clone());
        tasks.push(tokio::spawn(async move {
            let reply = patch(&app, &token, entry, json!({"name": "same.txt"})).await;
            match reply.status.as_u16() {
                200 => true,
                _ => {
                    reply.assert_error(409, "name_conflict");
                    false
                }
            }
        }));
    }
    let mut won = 0;
    for task in tasks {
        won += usize::from(task.await.expect("task"));
    }
    assert_eq!(won, 1);
    let root = names(&list(&app, &alice.access, "").await);
    assert_eq!(root.len(), 10);
    assert_eq!(root.iter().filter(|n| *n == "same.txt").count(), 1);
}
