//! Tests: folder listings come from a cache of serialized pages (src/service/drive/listings.rs):
//! they must equal the entries read one by one, and follow every change at once — including
//! a change made by another SQLite connection, as `hoard check --repair` would.

use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

#[tokio::test]
async fn listed_entries_equal_the_entries_read_one_by_one() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let docs = mkdir(&app, t, "Docs", None).await;
    upload_into(&app, t, id(&docs), "notes.txt", b"hello").await;
    upload_into(&app, t, id(&docs), "photo.JPG", b"\xff\xd8\xff\xe0").await;
    upload_into(&app, t, id(&docs), "no extension", b"x").await;
    upload(&app, t, "top.bin", b"\0\x01").await;
    for query in ["".to_owned(), format!("?parent_id={}", id(&docs))] {
        // Twice: the first answer fills the cache, the second comes from it.
        for _ in 0..2 {
            let page = list(&app, t, &query).await;
            let items = page["items"].as_array().expect("items");
            assert!(!items.is_empty());
            for item in items {
                let one = get_ok(&app, &file_url(id(item)), t).await;
                assert_eq!(item, &one, "listing form of {}", item["name"]);
            }
        }
    }
}

#[tokio::test]
async fn a_cached_listing_follows_every_change() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let a = mkdir(&app, t, "a", None).await;
    let b = mkdir(&app, t, "b", None).await;
    let file = upload_into(&app, t, id(&a), "f.txt", b"one").await;
    let in_a = format!("?parent_id={}", id(&a));
    let in_b = format!("?parent_id={}", id(&b));
    assert_eq!(names(&list(&app, t, &in_a).await), ["f.txt"]);

    let rename = json!({"name": "g.txt"});
    app.patch(&file_url(id(&file)), Some(t), rename)
        .await
        .assert_status(200);
    assert_eq!(names(&list(&app, t, &in_a).await), ["g.txt"]);

    // Renaming the parent changes every child's path.
    app.patch(&file_url(id(&a)), Some(t), json!({"name": "z"}))
        .await
        .assert_status(200);
    assert_eq!(list(&app, t, &in_a).await["items"][0]["path"], "/z/g.txt");

    let overwrite = put_path(&app, t, "/z/g.txt", b"two, longer").await;
    overwrite.assert_status(200);
    assert_eq!(list(&app, t, &in_a).await["items"][0]["size"], 11);

    let to_b = json!({"parent_id": id(&b)});
    app.patch(&file_url(id(&file)), Some(t), to_b)
        .await
        .assert_status(200);
    assert_eq!(names(&list(&app, t, &in_a).await), Vec::<String>::new());
    assert_eq!(names(&list(&app, t, &in_b).await), ["g.txt"]);

    app.delete(&file_url(id(&file)), Some(t))
        .await
        .assert_status(204);
    assert_eq!(list(&app, t, &in_b).await["total"], 0);
    let restore = format!("/api/v1/trash/{}/restore", id(&file));
    app.post(&restore, Some(t), json!({}))
        .await
        .assert_status(200);
    assert_eq!(names(&list(&app, t, &in_b).await), ["g.txt"]);
}

#[tokio::test]
async fn a_change_by_another_connection_is_seen_at_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = upload(&app, t, "old.txt", b"x").await;
    assert_eq!(names(&list(&app, t, "").await), ["old.txt"]);
    let changed = app
        .db()
        .execute(
            "UPDATE entries SET name = 'new.txt' WHERE id = ?1",
            [id(&file)],
        )
        .expect("update");
    assert_eq!(changed, 1);
    assert_eq!(names(&list(&app, t, "").await), ["new.txt"]);
}

#[tokio::test]
async fn pages_and_orders_are_cached_apart_and_owners_never_share_one() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for name in ["b.txt", "a.txt", "c.txt"] {
        upload(&app, &alice.access, name, name.as_bytes()).await;
    }
    let t = &alice.access;
    assert_eq!(names(&list(&app, t, "?limit=2").await), ["a.txt", "b.txt"]);
    assert_eq!(names(&list(&app, t, "?limit=2&offset=2").await), ["c.txt"]);
    let desc = list(&app, t, "?order=desc").await;
    assert_eq!(names(&desc), ["c.txt", "b.txt", "a.txt"]);
    let theirs: Value = list(&app, &bob.access, "").await;
    assert_eq!(theirs["total"], 0);
    assert_eq!(names(&theirs), Vec::<String>::new());
}

#[tokio::test]
async fn a_flush_empties_the_listing_cache_and_the_page_is_listed_again() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = &alice.access;
    upload(&app, t, "a.txt", b"x").await;
    let first = list(&app, t, "").await;
    assert_eq!(list(&app, t, "").await, first);
    let cached = app.cache("listings");
    assert_eq!((cached.entries, cached.hits, cached.misses), (1, 1, 1));

    app.delete("/api/v1/admin/cache", Some(&admin.access))
        .await
        .assert_status(204);
    assert_eq!(app.cache("listings").entries, 0);
    assert_eq!(list(&app, t, "").await, first);
    let listed = app.cache("listings");
    assert_eq!(
        (listed.entries, listed.hits, listed.misses),
        (1, cached.hits, cached.misses + 1),
        "listed again, not served from the flushed page"
    );
}
