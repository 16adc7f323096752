//! Tests: the byte routes remember entry records between requests
//! (src/service/drive/records.rs). A remembered record must never outlive a change made by
//! the server: every kind of change is seen by the very next download.

use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;

/// Downloads `id` twice (the second answer comes from the remembered record) and returns
/// the second reply, after checking both agree.
async fn download_twice(app: &TestApp, token: &str, id: i64) -> Reply {
    let url = format!("{}/download", file_url(id));
    let first = app.get(&url, Some(token)).await;
    let second = app.get(&url, Some(token)).await;
    assert_eq!(first.status, second.status);
    assert_eq!(first.body, second.body);
    assert_eq!(
        first.header("content-disposition"),
        second.header("content-disposition")
    );
    second
}

fn name_of(reply: &Reply) -> String {
    disposition_name(reply.header("content-disposition").unwrap_or_default())
}

#[tokio::test]
async fn a_remembered_download_follows_every_change() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = upload(&app, t, "a.txt", b"one").await;
    let folder = mkdir(&app, t, "Docs", None).await;
    let file_id = id(&file);

    let reply = download_twice(&app, t, file_id).await;
    reply.assert_status(200);
    assert_eq!(
        (reply.body.as_slice(), name_of(&reply).as_str()),
        (&b"one"[..], "a.txt")
    );
    let first_tag = reply.header("etag").map(str::to_owned);

    app.patch(&file_url(file_id), Some(t), json!({"name": "b.txt"}))
        .await
        .assert_status(200);
    assert_eq!(name_of(&download_twice(&app, t, file_id).await), "b.txt");

    put_path(&app, t, "/b.txt", b"two, longer")
        .await
        .assert_status(200);
    let reply = download_twice(&app, t, file_id).await;
    assert_eq!(reply.body, b"two, longer");
    assert_ne!(reply.header("etag").map(str::to_owned), first_tag);

    app.patch(
        &file_url(file_id),
        Some(t),
        json!({"parent_id": id(&folder)}),
    )
    .await
    .assert_status(200);
    download_twice(&app, t, file_id).await.assert_status(200);

    app.delete(&file_url(file_id), Some(t))
        .await
        .assert_status(204);
    download_twice(&app, t, file_id)
        .await
        .assert_error(404, "not_found");

    let restore = format!("/api/v1/trash/{file_id}/restore");
    app.post(&restore, Some(t), json!({}))
        .await
        .assert_status(200);
    assert_eq!(download_twice(&app, t, file_id).await.body, b"two, longer");

    let purge = format!("{}?permanent=true", file_url(file_id));
    app.delete(&purge, Some(t)).await.assert_status(204);
    download_twice(&app, t, file_id)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_remembered_record_is_only_its_owners() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let file = upload(&app, &alice.access, "mine.txt", b"secret").await;
    download_twice(&app, &alice.access, id(&file))
        .await
        .assert_status(200);
    download_twice(&app, &bob.access, id(&file))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_deleted_owner_takes_the_remembered_records_along() {
    let app = TestApp::new();
    let admin = app.register("admin").await;
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "a.txt", b"bytes").await;
    download_twice(&app, &alice.access, id(&file))
        .await
        .assert_status(200);
    app.delete(&format!("/api/v1/users/{}", alice.id), Some(&admin.access))
        .await
        .assert_status(204);
    let reply = app
        .get(
            &format!("{}/download", file_url(id(&file))),
            Some(&alice.access),
        )
        .await;
    assert_eq!(
        reply.status.as_u16(),
        401,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

#[tokio::test]
async fn a_flush_empties_the_record_cache_and_the_record_is_read_again() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let file = upload(&app, &alice.access, "a.txt", b"bytes").await;
    download_twice(&app, &alice.access, id(&file))
        .await
        .assert_status(200);
    let remembered = app.cache("records");
    assert_eq!(remembered.entries, 1);
    assert!(remembered.hits > 0, "{remembered:?}");

    app.delete("/api/v1/admin/cache", Some(&admin.access))
        .await
        .assert_status(204);
    assert_eq!(app.cache("records").entries, 0);
    let url = format!("{}/download", file_url(id(&file)));
    let reply = app.get(&url, Some(&alice.access)).await;
    reply.assert_status(200);
    assert_eq!(reply.body, b"bytes");
    let read = app.cache("records");
    assert_eq!(
        (read.entries, read.hits, read.misses),
        (1, remembered.hits, remembered.misses + 1),
        "read again, not served from the flushed record"
    );
}
