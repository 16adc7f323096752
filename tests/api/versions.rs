//! Versions (SPEC §13): every door that replaces a content keeps the old one; listing,
//! bytes, restore and delete; isolation; copies, shares and the trash.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::share_helpers::{create_share, public, token_of};
use crate::versions_helpers::*;

#[tokio::test]
async fn every_door_that_replaces_a_content_keeps_exactly_one_version_of_the_old_bytes() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let first = put_path(&app, t, "/doc.txt", b"one").await.json();
    let file = id(&first);
    assert_eq!(first["versions"], 0);

    let doors: [(&str, &[u8]); 4] = [
        ("multipart", b"two"),
        ("put", b"three"),
        ("tus", b"four!"),
        ("webdav", b"five"),
    ];
    let mut before: &[u8] = b"one";
    for (n, (door, bytes)) in doors.into_iter().enumerate() {
        replace(&app, t, door, "doc.txt", bytes).await;
        let list = versions(&app, t, file).await;
        assert_eq!(list["total"], n + 1, "{door}: one more version");
        let newest = &list["items"][0];
        assert_eq!(newest["sha256"], sha_hex(before), "{door}: the old bytes");
        assert_eq!(newest["size"], before.len());
        assert_eq!(newest["file_id"], file);
        assert_eq!(version_bytes(&app, t, file, vid(newest)).await, before);
        let current = get_ok(&app, &file_url(file), t).await;
        assert_eq!(
            (&current["id"], &current["sha256"], &current["versions"]),
            (&json!(file), &json!(sha_hex(bytes)), &json!(n + 1)),
            "{door}: same entry, new content"
        );
        before = bytes;
    }
    // Who wrote each content, and through which door, newest first.
    let list = versions(&app, t, file).await;
    let sources: Vec<Value> = items(&list).iter().map(|v| v["source"].clone()).collect();
    assert_eq!(
        sources,
        [
            json!("resumable"),
            json!("put"),
            json!("upload"),
            json!("put")
        ]
    );
    assert!(items(&list).iter().all(|v| v["uploaded_by"] == "alice"));
    // Storage counts the current content and every version; the books balance.
    assert_eq!(storage_used(&app, alice.id), 4 + 5 + 5 + 3 + 3);
    assert_eq!(sum_of_sizes(&app, alice.id), storage_used(&app, alice.id));
    assert_clean(&app).await;
}

#[tokio::test]
async fn the_same_bytes_again_an_empty_content_or_a_new_file_make_no_version() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = id(&put_path(&app, t, "/same.txt", b"same").await.json());
    put_path(&app, t, "/same.txt", b"same")
        .await
        .assert_status(200);
    upload(&app, t, "other.txt", b"same").await;
    upload_query(&app, t, "?on_conflict=rename", "other.txt", b"renamed").await;
    assert_eq!(versions(&app, t, file).await["total"], 0);
    assert_eq!(blob_refs(&app, &sha_hex(b"same")), Some(2));
    // An empty file replaced (a client that creates the file before writing it) neither.
    let empty = id(&put_path(&app, t, "/new.txt", b"").await.json());
    put_path(&app, t, "/new.txt", b"written")
        .await
        .assert_status(200);
    assert_eq!(versions(&app, t, empty).await["total"], 0);
    assert_clean(&app).await;
}

#[tokio::test]
async fn version_bytes_are_served_like_the_files_own() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let old = b"<html><script>alert(1)</script></html> and more bytes".to_vec();
    let file = id(&put_path(&app, t, "/page.html", &old).await.json());
    put_path(&app, t, "/page.html", b"new")
        .await
        .assert_status(200);
    let v = vid(&versions(&app, t, file).await["items"][0]);
    let url = format!("{}/versions/{v}/content", file_url(file));
    let auth = format!("Bearer {t}");

    let whole = app
        .send_raw(Method::GET, &url, &[("authorization", &auth)], vec![])
        .await;
    whole.assert_status(200);
    assert_eq!(whole.body, old);
    let etag = format!("\"{}\"", sha_hex(&old));
    assert_eq!(whole.header("etag"), Some(etag.as_str()));
    assert_eq!(
        whole.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert!(whole
        .header("content-security-policy")
        .is_some_and(|c| c.contains("sandbox")));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let disposition = whole.header("content-disposition").expect("disposition");
    assert_eq!(disposition_name(disposition), "page.html");

    let range = [("authorization", auth.as_str()), ("range", "bytes=6-13")];
    let part = app.send_raw(Method::GET, &url, &range, vec![]).await;
    part.assert_status(206);
    assert_eq!(part.body, &old[6..14]);
    let total = old.len();
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 6-13/{total}").as_str())
    );

    let cached = [
        ("authorization", auth.as_str()),
        ("if-none-match", etag.as_str()),
    ];
    let not_modified = app.send_raw(Method::GET, &url, &cached, vec![]).await;
    not_modified.assert_status(304);
    assert!(not_modified.body.is_empty());

    let past = [("authorization", auth.as_str()), ("range", "bytes=999-")];
    let refused = app.send_raw(Method::GET, &url, &past, vec![]).await;
    refused.assert_status(416);
    assert_eq!(
        refused.header("content-range"),
        Some(format!("bytes */{total}").as_str())
    );

    let head = app
        .send_raw(Method::HEAD, &url, &[("authorization", &auth)], vec![])
        .await;
    head.assert_status(200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(total.to_string().as_str())
    );
}

#[tokio::test]
async fn restore_swaps_the_current_content_with_a_version_and_keeps_the_id() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = id(&put_path(&app, t, "/notes.md", b"v1").await.json());
    put_path(&app, t, "/notes.md", b"v2 longer").await;
    put_path(&app, t, "/notes.md", b"v3").await;
    let used = storage_used(&app, alice.id);
    let oldest = items(&versions(&app, t, file).await)[1].clone();
    assert_eq!(oldest["sha256"], sha_hex(b"v1"));

    let url = format!("{}/versions/{}/restore", file_url(file), vid(&oldest));
    let restored = app.post(&url, Some(t), json!({})).await;
    restored.assert_status(200);
    let entry = restored.json();
    assert_eq!(
        (
            &entry["id"],
            &entry["sha256"],
            &entry["size"],
            &entry["versions"]
        ),
        (&json!(file), &json!(sha_hex(b"v1")), &json!(2), &json!(2))
    );
    assert_eq!(content(&app, t, file).await, b"v1");
    // The replaced content is the newest version now; the restored one is gone from the list.
    assert_eq!(
        history(&app, t, file).await,
        [sha_hex(b"v3"), sha_hex(b"v2 longer")]
    );
    assert_eq!(items(&versions(&app, t, file).await)[0]["source"], "put");
    assert_eq!(
        storage_used(&app, alice.id),
        used,
        "nothing added, nothing freed"
    );
    // And back again: a round trip.
    let newest = vid(&items(&versions(&app, t, file).await)[0]);
    let url = format!("{}/versions/{newest}/restore", file_url(file));
    app.post(&url, Some(t), json!({})).await.assert_status(200);
    assert_eq!(content(&app, t, file).await, b"v3");
    assert_eq!(
        get_ok(&app, &file_url(file), t).await["sha256"],
        sha_hex(b"v3")
    );
    assert_eq!(
        history(&app, t, file).await,
        [sha_hex(b"v1"), sha_hex(b"v2 longer")]
    );
    // A restored content says so.
    put_path(&app, t, "/notes.md", b"v4").await;
    assert_eq!(
        items(&versions(&app, t, file).await)[0]["source"],
        "restore"
    );
    assert_clean(&app).await;
}

#[tokio::test]
async fn deleting_a_version_frees_its_bytes_and_its_blob_once_unreferenced() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = id(&put_path(&app, t, "/a.bin", &[1; 40]).await.json());
    put_path(&app, t, "/a.bin", &[2; 10]).await;
    upload(&app, t, "twin.bin", &[1; 40]).await;
    let v = vid(&versions(&app, t, file).await["items"][0]);
    assert_eq!(storage_used(&app, alice.id), 90);

    let url = format!("{}/versions/{v}", file_url(file));
    app.delete(&url, Some(t)).await.assert_status(204);
    assert_eq!(versions(&app, t, file).await["total"], 0);
    assert_eq!(get_ok(&app, &file_url(file), t).await["versions"], 0);
    assert_eq!(storage_used(&app, alice.id), 50);
    assert_eq!(
        blob_refs(&app, &sha_hex(&[1; 40])),
        Some(1),
        "the twin still uses it"
    );
    app.delete(&url, Some(t))
        .await
        .assert_error(404, "not_found");
    assert_clean(&app).await;
}

#[tokio::test]
async fn another_users_versions_are_404_on_every_route_and_shares_show_none() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let t = &alice.access;
    let file = id(&put_path(&app, t, "/secret.txt", b"old secret").await.json());
    put_path(&app, t, "/secret.txt", b"new").await;
    let v = vid(&versions(&app, t, file).await["items"][0]);
    let base = format!("{}/versions", file_url(file));
    let b = Some(bob.access.as_str());
    app.get(&base, b).await.assert_error(404, "not_found");
    app.get(&format!("{base}/{v}/content"), b)
        .await
        .assert_error(404, "not_found");
    let restore = format!("{base}/{v}/restore");
    app.post(&restore, b, json!({}))
        .await
        .assert_error(404, "not_found");
    app.delete(&format!("{base}/{v}"), b)
        .await
        .assert_error(404, "not_found");
    app.get(&base, None).await.assert_error(401, "unauthorized");
    // A version id of another file of the owner is not found either.
    let other = id(&put_path(&app, t, "/other.txt", b"x").await.json());
    let crossed = format!("{}/versions/{v}/content", file_url(other));
    app.get(&crossed, Some(t))
        .await
        .assert_error(404, "not_found");
    // Nothing changed for Alice.
    assert_eq!(content(&app, t, file).await, b"new");
    assert_eq!(version_bytes(&app, t, file, v).await, b"old secret");
    // A share serves the current content only; no public route reaches a version.
    let share = create_share(&app, t, json!({"file_id": file})).await;
    let token = token_of(&share);
    let download = app.get(&public(&token, "/download"), None).await;
    assert_eq!(download.body, b"new");
    let meta = app.get(&public(&token, ""), None).await.json();
    assert!(meta.get("versions").is_none(), "{meta}");
    for path in [
        format!("/versions/{v}/content"),
        format!("/download?path=/versions/{v}"),
    ] {
        let reply = app.get(&public(&token, &path), None).await;
        assert_eq!(reply.status.as_u16(), 404, "{path}");
    }
}

#[tokio::test]
async fn folders_and_trashed_files_have_no_versions_route() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let folder = mkdir(&app, t, "dir", None).await;
    app.get(&format!("{}/versions", file_url(id(&folder))), Some(t))
        .await
        .assert_error(404, "not_found");
    let file = id(&put_path(&app, t, "/x.txt", b"1").await.json());
    put_path(&app, t, "/x.txt", b"2").await;
    app.delete(&file_url(file), Some(t))
        .await
        .assert_status(204);
    app.get(&format!("{}/versions", file_url(file)), Some(t))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn the_trash_keeps_versions_purge_removes_them_and_a_copy_starts_with_none() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let dir = mkdir(&app, t, "dir", None).await;
    let file = id(&put_path(&app, t, "/dir/f.txt", b"first!").await.json());
    put_path(&app, t, "/dir/f.txt", b"second").await;
    put_path(&app, t, "/dir/f.txt", b"third").await;
    let kept = history(&app, t, file).await;

    let copy = app
        .post(
            &format!("{}/copy", file_url(file)),
            Some(t),
            json!({"parent_id": null, "name": "c.txt"}),
        )
        .await;
    copy.assert_status(201);
    let copy = copy.json();
    assert_eq!(copy["versions"], 0);
    assert_eq!(versions(&app, t, id(&copy)).await["total"], 0);

    // Trash the folder, restore it: the versions come back with the file.
    app.delete(&file_url(id(&dir)), Some(t))
        .await
        .assert_status(204);
    assert_clean(&app).await;
    assert_eq!(storage_used(&app, alice.id), 5 + 6 + 6 + 5);
    let restore = format!("{TRASH}/{}/restore", id(&dir));
    app.post(&restore, Some(t), json!({}))
        .await
        .assert_status(200);
    assert_eq!(history(&app, t, file).await, kept);
    assert_clean(&app).await;

    // Purging removes them, their bytes and their blobs (but not a blob the copy uses).
    app.delete(&file_url(id(&dir)), Some(t))
        .await
        .assert_status(204);
    app.delete(&format!("{TRASH}/{}", id(&dir)), Some(t))
        .await
        .assert_status(204);
    assert_eq!(storage_used(&app, alice.id), 5);
    assert_eq!(sum_of_sizes(&app, alice.id), 5);
    assert_eq!(blob_files(&app), [sha_hex(b"third")]);
    let rows: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM file_versions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 0);
    assert_clean(&app).await;
}

#[tokio::test]
async fn deleting_a_user_releases_their_versions() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    put_path(&app, &alice.access, "/a.txt", b"old").await;
    put_path(&app, &alice.access, "/a.txt", b"new").await;
    let url = format!("/api/v1/users/{}", alice.id);
    app.delete(&url, Some(&admin.access))
        .await
        .assert_status(204);
    assert_eq!(blob_files(&app), Vec::<String>::new());
    assert_clean(&app).await;
}

#[tokio::test]
async fn admin_stats_count_versions_and_their_bytes() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    put_path(&app, &alice.access, "/a.txt", b"12345").await;
    put_path(&app, &alice.access, "/a.txt", b"123").await;
    put_path(&app, &alice.access, "/a.txt", b"1").await;
    let stats = get_ok(&app, "/api/v1/admin/stats", &admin.access).await;
    let seen = [
        &stats["versions"],
        &stats["bytes_in_versions"],
        &stats["bytes_logical"],
    ];
    assert_eq!(seen, [&json!(2), &json!(8), &json!(1)]);
    assert_eq!(stats["bytes_stored"], 9);
    assert_eq!(stats["bytes_saved_by_dedup"], 0);
}

#[tokio::test]
async fn webdav_put_answers_204_over_a_file_and_keeps_its_version() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = id(&put_path(&app, &alice.access, "/w.txt", b"before")
        .await
        .json());
    let auth = format!("Basic {}", STANDARD.encode(format!("alice:{PASSWORD}")));
    let put = app
        .send_raw(
            Method::PUT,
            "/dav/w.txt",
            &[("authorization", &auth)],
            b"after".to_vec(),
        )
        .await;
    put.assert_status(204);
    assert_eq!(
        history(&app, &alice.access, file).await,
        [sha_hex(b"before")]
    );
    let list = versions(&app, &alice.access, file).await;
    assert_eq!(list["items"][0]["source"], "put");
    put_path(&app, &alice.access, "/w.txt", b"third").await;
    let list = versions(&app, &alice.access, file).await;
    assert_eq!(list["items"][0]["source"], "webdav");
}
