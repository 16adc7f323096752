//! Tests: the trash — delete, list, restore, purge, empty, automatic purge (SPEC §5).

use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

async fn delete(app: &TestApp, token: &str, entry: &Value) {
    app.delete(&file_url(id(entry)), Some(token))
        .await
        .assert_status(204);
}

async fn restore(app: &TestApp, token: &str, item: i64) -> Reply {
    app.post(&format!("{TRASH}/{item}/restore"), Some(token), json!({}))
        .await
}

async fn purge(app: &TestApp, token: &str, item: i64) -> Reply {
    app.delete(&format!("{TRASH}/{item}"), Some(token)).await
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort_unstable();
    keys
}

fn row_exists(app: &TestApp, entry: i64) -> bool {
    app.db()
        .query_row("SELECT COUNT(*) FROM entries WHERE id = ?1", [entry], |r| {
            r.get::<_, i64>(0)
        })
        .expect("count")
        == 1
}

#[tokio::test]
async fn deleting_a_folder_puts_one_item_in_the_trash_and_hides_its_children() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let p = mkdir(&app, t, "p", None).await;
    let a = mkdir(&app, t, "a", Some(id(&p))).await;
    let x = upload_into(&app, t, id(&a), "x.txt", b"xx").await;
    let sub = mkdir(&app, t, "sub", Some(id(&a))).await;
    upload_into(&app, t, id(&sub), "y.txt", b"yyy").await;
    delete(&app, t, &a).await;

    let trash = trash_list(&app, t).await;
    assert_eq!(
        (&trash["total"], &trash["limit"], &trash["offset"]),
        (&json!(1), &json!(100), &json!(0))
    );
    let item = &trash["items"][0];
    let mut want_keys: Vec<String> = [
        "category",
        "created_at",
        "deleted_at",
        "extension",
        "id",
        "kind",
        "mime_type",
        "modified_at",
        "name",
        "original_path",
        "parent_id",
        "path",
        "sha256",
        "size",
        "updated_at",
        "versions",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    want_keys.sort_unstable();
    assert_eq!(keys(item), want_keys);
    assert_eq!(
        (&item["id"], &item["name"], &item["kind"]),
        (&a["id"], &json!("a"), &json!("folder"))
    );
    assert_eq!(
        (&item["original_path"], &item["path"]),
        (&json!("/p/a"), &json!("/p/a"))
    );
    chrono::DateTime::parse_from_rfc3339(item["deleted_at"].as_str().expect("deleted_at"))
        .expect("RFC 3339");

    assert_eq!(
        list(&app, t, &format!("?parent_id={}", id(&p))).await["total"],
        0
    );
    assert_eq!(list(&app, t, "?q=y").await["total"], 0);
    for hidden in [&x, &sub] {
        app.get(&file_url(id(hidden)), Some(t))
            .await
            .assert_error(404, "not_found");
    }
    // Only top items can be restored or purged; a child of a trashed folder is not one.
    restore(&app, t, id(&x))
        .await
        .assert_error(404, "not_found");
    purge(&app, t, id(&x)).await.assert_error(404, "not_found");
    // A live entry is not a trash item either.
    restore(&app, t, id(&p))
        .await
        .assert_error(404, "not_found");
    purge(&app, t, id(&p)).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn restoring_puts_a_folder_back_with_everything_in_it() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let p = mkdir(&app, t, "p", None).await;
    let a = mkdir(&app, t, "a", Some(id(&p))).await;
    let x = upload_into(&app, t, id(&a), "x.txt", b"xx").await;
    delete(&app, t, &a).await;
    let reply = restore(&app, t, id(&a)).await;
    reply.assert_status(200);
    let back = reply.json();
    assert_eq!(
        (&back["id"], &back["path"], &back["parent_id"]),
        (&a["id"], &json!("/p/a"), &p["id"])
    );
    assert_eq!(
        get_ok(&app, &file_url(id(&x)), t).await["path"],
        "/p/a/x.txt"
    );
    let content = app
        .get(&format!("{}/content", file_url(id(&x))), Some(t))
        .await;
    assert_eq!(content.body, b"xx");
    assert_eq!(trash_list(&app, t).await["total"], 0);
    restore(&app, t, id(&a))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn restore_goes_to_the_root_when_the_old_folder_is_in_the_trash() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let p = mkdir(&app, t, "p", None).await;
    let x = upload_into(&app, t, id(&p), "x.txt", b"x").await;
    delete(&app, t, &x).await;
    delete(&app, t, &p).await;
    // Deletion times are seconds; make the order unambiguous.
    let set = "UPDATE entries SET deleted_at = deleted_at - ?2 WHERE id = ?1";
    app.db().execute(set, [id(&x), 100]).expect("age");
    let trash = trash_list(&app, t).await;
    assert_eq!(names(&trash), ["p", "x.txt"], "newest first");
    let back = restore(&app, t, id(&x)).await.json();
    assert_eq!(
        (&back["parent_id"], &back["path"]),
        (&json!(null), &json!("/x.txt"))
    );
    assert_eq!(names(&trash_list(&app, t).await), ["p"]);
}

#[tokio::test]
async fn restore_renames_when_the_name_is_taken() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let old = upload(&app, t, "a.txt", b"old").await;
    delete(&app, t, &old).await;
    upload(&app, t, "a.txt", b"new").await;
    let back = restore(&app, t, id(&old)).await;
    back.assert_status(200);
    assert_eq!(
        (&back.json()["name"], &back.json()["path"]),
        (&json!("a (1).txt"), &json!("/a (1).txt"))
    );
    let content = app
        .get(&format!("{}/content", file_url(id(&old))), Some(t))
        .await;
    assert_eq!(content.body, b"old");
    assert_eq!(names(&list(&app, t, "").await), ["a (1).txt", "a.txt"]);
}

#[tokio::test]
async fn the_trash_counts_toward_storage_until_a_purge_frees_rows_bytes_and_blobs() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    let unique = upload_into(&app, t, id(&dir), "unique.txt", b"only here").await;
    let shared = upload(&app, t, "shared.txt", b"twice").await;
    upload(&app, t, "live.txt", b"twice").await;
    assert_eq!(storage_used(&app, alice.id), 19);
    delete(&app, t, &dir).await;
    delete(&app, t, &shared).await;
    assert_eq!(storage_used(&app, alice.id), 19, "the trash still counts");

    let reply = purge(&app, t, id(&dir)).await;
    reply.assert_status(204);
    assert_eq!(reply.body, b"");
    assert!(!row_exists(&app, id(&dir)) && !row_exists(&app, id(&unique)));
    assert_eq!(storage_used(&app, alice.id), 10);
    assert_eq!(blob_refs(&app, &sha_hex(b"only here")), None);
    assert_eq!(blob_files(&app), [sha_hex(b"twice")]);

    purge(&app, t, id(&shared)).await.assert_status(204);
    assert_eq!(storage_used(&app, alice.id), 5);
    assert_eq!(blob_refs(&app, &sha_hex(b"twice")), Some(1));
    let blob = stored_blob(&app, &sha_hex(b"twice")).expect("shared blob kept");
    assert_eq!(blob, b"twice");
    assert_eq!(trash_list(&app, t).await["total"], 0);
    purge(&app, t, id(&shared))
        .await
        .assert_error(404, "not_found");
    assert_eq!(storage_used(&app, alice.id), sum_of_sizes(&app, alice.id));
}

#[tokio::test]
async fn emptying_the_trash_purges_every_item() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    upload_into(&app, t, id(&dir), "a.txt", b"aaaa").await;
    let b = upload(&app, t, "b.txt", b"bb").await;
    let keep = upload(&app, t, "keep.txt", b"k").await;
    delete(&app, t, &dir).await;
    delete(&app, t, &b).await;
    let reply = app.send(Method::DELETE, TRASH, Some(t), None).await;
    reply.assert_status(204);
    assert_eq!(trash_list(&app, t).await["total"], 0);
    assert_eq!(entry_rows(&app, alice.id), 1);
    assert_eq!(storage_used(&app, alice.id), 1);
    assert_eq!(blob_files(&app), [sha_hex(b"k")]);
    assert_eq!(names(&list(&app, t, "").await), ["keep.txt"]);
    assert_eq!(get_ok(&app, &file_url(id(&keep)), t).await["size"], 1);
    app.send(Method::DELETE, TRASH, Some(t), None)
        .await
        .assert_status(204);
}

#[tokio::test]
async fn items_older_than_trash_days_are_purged_automatically() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let old = upload(&app, t, "old.txt", b"old bytes").await;
    let recent = upload(&app, t, "recent.txt", b"recent").await;
    delete(&app, t, &old).await;
    delete(&app, t, &recent).await;
    let now = chrono::Utc::now().timestamp();
    let db = app.db();
    let set = "UPDATE entries SET deleted_at = ?2 WHERE id = ?1";
    db.execute(set, [id(&old), now - 31 * 86_400]).expect("age");
    db.execute(set, [id(&recent), now - 29 * 86_400])
        .expect("age");

    let purged = app.state.drive.purge_expired_trash().await.expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(names(&trash_list(&app, t).await), ["recent.txt"]);
    assert!(!row_exists(&app, id(&old)));
    assert_eq!(blob_files(&app), [sha_hex(b"recent")]);
    assert_eq!(storage_used(&app, alice.id), 6);
}

#[tokio::test]
async fn a_trashed_file_is_not_found_on_every_route() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = upload(&app, t, "pic.png", b"not really a png").await;
    let dir = mkdir(&app, t, "dir", None).await;
    delete(&app, t, &file).await;
    let base = file_url(id(&file));
    for route in [
        "",
        "/content",
        "/download",
        "/preview",
        "/preview-info",
        "/thumbnail",
    ] {
        let reply = app.get(&format!("{base}{route}"), Some(t)).await;
        reply.assert_error(404, "not_found");
    }
    app.post(&format!("{base}/link"), Some(t), json!({}))
        .await
        .assert_error(404, "not_found");
    app.post(&format!("{base}/copy"), Some(t), json!({}))
        .await
        .assert_error(404, "not_found");
    app.patch(&base, Some(t), json!({"parent_id": id(&dir)}))
        .await
        .assert_error(404, "not_found");
    app.delete(&base, Some(t))
        .await
        .assert_error(404, "not_found");
    let by_path = app
        .get(&format!("{FILES}/by-path?path=pic.png"), Some(t))
        .await;
    by_path.assert_error(404, "not_found");
    assert_eq!(trash_list(&app, t).await["total"], 1);
}

#[tokio::test]
async fn purging_a_trashed_folder_never_purges_a_trash_item_that_lived_inside_it() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let a = mkdir(&app, t, "a", None).await;
    let x = upload_into(&app, t, id(&a), "x.txt", b"inside").await;
    upload_into(&app, t, id(&a), "y.txt", b"also inside").await;
    delete(&app, t, &x).await;
    delete(&app, t, &a).await;
    purge(&app, t, id(&a)).await.assert_status(204);

    let trash = trash_list(&app, t).await;
    assert_eq!(names(&trash), ["x.txt"]);
    assert_eq!(trash["items"][0]["original_path"], "/a/x.txt");
    assert_eq!(storage_used(&app, alice.id), 6);
    assert_eq!(blob_files(&app), [sha_hex(b"inside")]);
    let back = restore(&app, t, id(&x)).await;
    back.assert_status(200);
    assert_eq!(back.json()["path"], "/x.txt");
    let content = app
        .get(&format!("{}/download", file_url(id(&x))), Some(t))
        .await;
    assert_eq!(content.body, b"inside");

    // The same holds for emptying the trash and for automatic purging.
    let b = mkdir(&app, t, "b", None).await;
    let z = upload_into(&app, t, id(&b), "z.txt", b"zz").await;
    delete(&app, t, &z).await;
    delete(&app, t, &b).await;
    app.db()
        .execute("UPDATE entries SET deleted_at = 0 WHERE id = ?1", [id(&b)])
        .expect("age");
    assert_eq!(
        app.state.drive.purge_expired_trash().await.expect("purge"),
        1
    );
    assert_eq!(names(&trash_list(&app, t).await), ["z.txt"]);
    assert_eq!(restore(&app, t, id(&z)).await.json()["path"], "/z.txt");
}

#[tokio::test]
async fn copying_or_restoring_a_folder_leaves_out_what_was_trashed_inside_it() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    upload_into(&app, t, id(&dir), "kept.txt", b"kept").await;
    let gone = upload_into(&app, t, id(&dir), "gone.txt", b"gone").await;
    delete(&app, t, &gone).await;
    let copy = app
        .post(&format!("{}/copy", file_url(id(&dir))), Some(t), json!({}))
        .await;
    copy.assert_status(201);
    let inside = list(&app, t, &format!("?parent_id={}", id(&copy.json()))).await;
    assert_eq!(names(&inside), ["kept.txt"]);
    assert_eq!(storage_used(&app, alice.id), 12);
    delete(&app, t, &dir).await;
    restore(&app, t, id(&dir)).await.assert_status(200);
    let inside = list(&app, t, &format!("?parent_id={}", id(&dir))).await;
    assert_eq!(names(&inside), ["kept.txt"]);
    assert_eq!(names(&trash_list(&app, t).await), ["gone.txt"]);
    let back = restore(&app, t, id(&gone)).await.json();
    assert_eq!(back["path"], "/dir/gone.txt");
}
