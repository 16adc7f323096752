//! Tests: storage quotas, usage accounting, concurrent uploads, instance stats and the upload
//! size limit (SPEC §5 "Quotas", §9).

use std::path::PathBuf;
use std::sync::Arc;

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;

/// An admin and Alice with the given quota.
async fn alice_with_quota(app: &TestApp, quota: i64) -> (Session, Session) {
    let (admin, alice) = app.admin_and_user().await;
    set_quota(app, &admin.access, alice.id, Some(quota)).await;
    (admin, alice)
}

/// Rows, blob files, temp files and usage: what a refused upload must leave untouched.
fn footprint(app: &TestApp, user: i64) -> (i64, Vec<String>, Vec<PathBuf>, i64) {
    (
        entry_rows(app, user),
        blob_files(app),
        tmp_files(app),
        storage_used(app, user),
    )
}

#[tokio::test]
async fn an_upload_that_fills_the_quota_exactly_is_allowed_and_one_byte_more_is_507() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 100).await;
    let t = &alice.access;
    upload(&app, t, "sixty.bin", &[1; 60]).await;
    upload(&app, t, "forty.bin", &[2; 40]).await;
    assert_eq!(storage_used(&app, alice.id), 100);
    let before = footprint(&app, alice.id);
    let reply = upload_parts(&app, t, "", &[file_part("one.bin", &[3])]).await;
    reply.assert_error(507, "quota_exceeded");
    assert_eq!(footprint(&app, alice.id), before);
    let me = get_ok(&app, "/api/v1/users/me", t).await;
    assert_eq!(
        (&me["storage_used"], &me["storage_quota"]),
        (&json!(100), &json!(100))
    );
}

#[tokio::test]
async fn a_multi_file_upload_is_held_to_the_quota_as_a_whole() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 100).await;
    let t = &alice.access;
    let before = footprint(&app, alice.id);
    let parts = [file_part("a.bin", &[1; 60]), file_part("b.bin", &[2; 41])];
    upload_parts(&app, t, "", &parts)
        .await
        .assert_error(507, "quota_exceeded");
    assert_eq!(footprint(&app, alice.id), before);
    let parts = [file_part("a.bin", &[1; 60]), file_part("b.bin", &[2; 40])];
    upload_parts(&app, t, "", &parts).await.assert_status(201);
    assert_eq!(storage_used(&app, alice.id), 100);
}

#[tokio::test]
async fn put_by_path_over_quota_is_507_and_creates_no_folders() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 10).await;
    let t = &alice.access;
    let before = footprint(&app, alice.id);
    put_path(&app, t, "/new/deep/file.bin", &[7; 11])
        .await
        .assert_error(507, "quota_exceeded");
    // The same with a declared length (refused before any byte is read).
    let bearer = format!("Bearer {t}");
    let headers = [("authorization", bearer.as_str()), ("content-length", "11")];
    let url = format!("{FILES}/by-path?path=/new/deep/file.bin");
    app.send_raw(Method::PUT, &url, &headers, vec![7; 11])
        .await
        .assert_error(507, "quota_exceeded");
    assert_eq!(footprint(&app, alice.id), before);
    let folder = app
        .get(&format!("{FILES}/by-path?path=/new"), Some(t))
        .await;
    folder.assert_error(404, "not_found");
    put_path(&app, t, "/new/deep/file.bin", &[7; 10])
        .await
        .assert_status(201);
    assert_eq!(storage_used(&app, alice.id), 10);
}

#[tokio::test]
async fn a_copy_over_quota_is_507_and_leaves_nothing() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 10).await;
    let t = &alice.access;
    let file = upload(&app, t, "six.bin", &[6; 6]).await;
    let dir = mkdir(&app, t, "dir", None).await;
    upload_into(&app, t, id(&dir), "three.bin", &[3; 3]).await;
    let before = footprint(&app, alice.id);
    for source in [&file, &dir] {
        app.post(
            &format!("{}/copy", file_url(id(source))),
            Some(t),
            json!({}),
        )
        .await
        .assert_error(507, "quota_exceeded");
    }
    assert_eq!(footprint(&app, alice.id), before);
    assert_eq!(blob_refs(&app, &sha_hex(&[6; 6])), Some(1));
    assert_eq!(names(&list(&app, t, "").await), ["dir", "six.bin"]);
}

#[tokio::test]
async fn the_trash_counts_toward_the_quota_until_it_is_purged() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 10).await;
    let t = &alice.access;
    let big = upload(&app, t, "big.bin", &[8; 8]).await;
    app.delete(&file_url(id(&big)), Some(t))
        .await
        .assert_status(204);
    assert_eq!(storage_used(&app, alice.id), 8);
    upload_parts(&app, t, "", &[file_part("five.bin", &[5; 5])])
        .await
        .assert_error(507, "quota_exceeded");
    app.delete(&format!("{TRASH}/{}", id(&big)), Some(t))
        .await
        .assert_status(204);
    assert_eq!(storage_used(&app, alice.id), 0);
    upload(&app, t, "five.bin", &[5; 5]).await;
    assert_eq!(storage_used(&app, alice.id), 5);
}

#[tokio::test]
async fn an_overwrite_counts_only_the_difference() {
    let app = TestApp::new();
    let (_, alice) = alice_with_quota(&app, 10).await;
    let t = &alice.access;
    let first = upload(&app, t, "a.bin", &[1; 8]).await;
    let grown = upload_query(&app, t, "?on_conflict=overwrite", "a.bin", &[2; 10]).await;
    assert_eq!(
        (&grown["id"], storage_used(&app, alice.id)),
        (&first["id"], 10)
    );
    // A full quota does not stop a file from being replaced by a smaller or equal one.
    let same = upload_query(&app, t, "?on_conflict=overwrite", "a.bin", &[3; 10]).await;
    assert_eq!(
        (&same["size"], storage_used(&app, alice.id)),
        (&json!(10), 10)
    );
    // Also when the length is declared up front (checked before any byte is read).
    let bearer = format!("Bearer {t}");
    let headers = [("authorization", bearer.as_str()), ("content-length", "4")];
    let url = format!("{FILES}/by-path?path=/a.bin");
    let put = app.send_raw(Method::PUT, &url, &headers, vec![4; 4]).await;
    put.assert_status(200);
    assert_eq!(storage_used(&app, alice.id), 4);
    put_path(&app, t, "/a.bin", &[5; 11])
        .await
        .assert_error(507, "quota_exceeded");
    assert_eq!(storage_used(&app, alice.id), 4);
    let content = app
        .get(&format!("{}/content", file_url(id(&first))), Some(t))
        .await;
    assert_eq!(content.body, [4; 4]);
    assert_eq!(blob_files(&app), [sha_hex(&[4; 4])]);
}

#[tokio::test]
async fn storage_used_is_exactly_the_sum_of_sizes_after_mixed_operations() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let check = |want: i64| {
        assert_eq!(storage_used(&app, alice.id), want);
        assert_eq!(sum_of_sizes(&app, alice.id), want);
    };
    let dir = mkdir(&app, t, "dir", None).await;
    let a = upload_into(&app, t, id(&dir), "a.bin", &[1; 100]).await;
    upload(&app, t, "b.bin", &[2; 50]).await;
    check(150);
    app.post(&format!("{}/copy", file_url(id(&dir))), Some(t), json!({}))
        .await
        .assert_status(201);
    check(250);
    upload_query(
        &app,
        t,
        &format!("?on_conflict=overwrite&parent_id={}", id(&dir)),
        "a.bin",
        &[3; 30],
    )
    .await;
    // The replaced 100 bytes stay as a version, and count (SPEC §13).
    check(280);
    put_path(&app, t, "/x/y/z.bin", &[4; 7])
        .await
        .assert_status(201);
    check(287);
    app.delete(&file_url(id(&dir)), Some(t))
        .await
        .assert_status(204);
    check(287);
    app.post(&format!("{TRASH}/{}/restore", id(&dir)), Some(t), json!({}))
        .await
        .assert_status(200);
    app.delete(&file_url(id(&a)), Some(t))
        .await
        .assert_status(204);
    app.delete(&format!("{TRASH}/{}", id(&a)), Some(t))
        .await
        .assert_status(204);
    // Purging the file purged its version too.
    check(157);
    app.send(Method::DELETE, TRASH, Some(t), None)
        .await
        .assert_status(204);
    check(157);
    let dir_copy = get_ok(
        &app,
        &format!("{FILES}/by-path?path={}", enc("/dir (1)")),
        t,
    )
    .await;
    app.delete(&file_url(id(&dir_copy)), Some(t))
        .await
        .assert_status(204);
    app.send(Method::DELETE, TRASH, Some(t), None)
        .await
        .assert_status(204);
    check(57);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_uploads_of_one_name_get_twenty_distinct_names() {
    let app = Arc::new(TestApp::new());
    let alice = app.register("alice").await;
    let folder = mkdir(&app, &alice.access, "inbox", None).await;
    let data = b"the same twenty times".to_vec();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (app, token, data) = (app.clone(), alice.access.clone(), data.clone());
        let folder = id(&folder);
        tasks.push(tokio::spawn(async move {
            let parts = [file_part("x.txt", &data)];
            let reply = upload_parts(&app, &token, &format!("?parent_id={folder}"), &parts).await;
            reply.assert_status(201);
            reply.json()["items"][0]["name"]
                .as_str()
                .expect("name")
                .to_owned()
        }));
    }
    let mut got = Vec::new();
    for task in tasks {
        got.push(task.await.expect("task"));
    }
    got.sort();
    let mut want: Vec<String> = (1..20).map(|n| format!("x ({n}).txt")).collect();
    want.push("x.txt".into());
    want.sort();
    assert_eq!(got, want);
    let listed = list(&app, &alice.access, &format!("?parent_id={}", id(&folder))).await;
    assert_eq!(listed["total"], 20);
    assert_eq!(storage_used(&app, alice.id), 20 * data.len() as i64);
    assert_eq!(sum_of_sizes(&app, alice.id), 20 * data.len() as i64);
    assert_eq!(blob_files(&app), [sha_hex(&data)]);
    assert_eq!(blob_refs(&app, &sha_hex(&data)), Some(20));
    assert_eq!(tmp_files(&app), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn admin_stats_count_files_folders_and_the_bytes_saved_by_dedup() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let bob = app.register("bob").await;
    let dir = mkdir(&app, &alice.access, "dir", None).await;
    mkdir(&app, &bob.access, "stuff", None).await;
    let same = [9u8; 1000];
    upload(&app, &alice.access, "one.bin", &same).await;
    upload_into(&app, &alice.access, id(&dir), "two.bin", &same).await;
    upload(&app, &bob.access, "three.bin", &same).await;
    upload(&app, &bob.access, "unique.bin", &[1; 234]).await;
    let stats = get_ok(&app, "/api/v1/admin/stats", &admin.access).await;
    let want = json!({"files": 4, "folders": 2, "bytes_logical": 3234, "bytes_stored": 1234,
        "bytes_saved_by_dedup": 2000});
    for (key, value) in want.as_object().expect("object") {
        assert_eq!(&stats[key], value, "{key}: {stats}");
    }
    app.get("/api/v1/admin/stats", Some(&alice.access))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn max_upload_bytes_refuses_bigger_uploads_with_413_and_leaves_nothing() {
    let app = TestApp::with_config(|c| c.limits.max_upload_bytes = 1000);
    let (admin, alice) = app.admin_and_user().await;
    let t = &alice.access;
    let before = footprint(&app, alice.id);
    upload_parts(&app, t, "", &[file_part("big.bin", &[1; 1001])])
        .await
        .assert_error(413, "too_large");
    put_path(&app, t, "/dir/big.bin", &[1; 1001])
        .await
        .assert_error(413, "too_large");
    let bearer = format!("Bearer {t}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-length", "1001"),
    ];
    let url = format!("{FILES}/by-path?path=big.bin");
    app.send_raw(Method::PUT, &url, &headers, vec![1; 1001])
        .await
        .assert_error(413, "too_large");
    assert_eq!(footprint(&app, alice.id), before);
    upload(&app, t, "fits.bin", &[1; 1000]).await;
    // Whichever limit is tighter decides: here the quota.
    set_quota(&app, &admin.access, alice.id, Some(1500)).await;
    upload_parts(&app, t, "", &[file_part("q.bin", &[2; 600])])
        .await
        .assert_error(507, "quota_exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_to_one_path_keep_one_entry_one_folder_chain_and_exact_usage() {
    // Versions off: every replaced content must be released (versions.rs tests them on).
    let app = Arc::new(TestApp::with_config(|c| c.versions.max_per_file = 0));
    let alice = app.register("alice").await;
    let mut tasks = Vec::new();
    for n in 1..=20usize {
        let (app, token) = (app.clone(), alice.access.clone());
        tasks.push(tokio::spawn(async move {
            let same = put_path(&app, &token, "/shared/dir/same.bin", &vec![n as u8; n]).await;
            let own = put_path(&app, &token, &format!("/shared/dir/f{n}.bin"), &[1; 3]).await;
            own.assert_status(201);
            same.status.as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        19,
        "{statuses:?}"
    );

    let same = get_ok(
        &app,
        &format!("{FILES}/by-path?path=/shared/dir/same.bin"),
        &alice.access,
    )
    .await;
    let size = same["size"].as_u64().expect("size") as usize;
    let winner = vec![size as u8; size];
    assert_eq!(same["sha256"], sha_hex(&winner));
    let content = app
        .get(
            &format!("{}/content", file_url(id(&same))),
            Some(&alice.access),
        )
        .await;
    assert_eq!(content.body, winner);
    let root = list(&app, &alice.access, "").await;
    assert_eq!(names(&root), ["shared"]);
    let dir = get_ok(
        &app,
        &format!("{FILES}/by-path?path=/shared/dir"),
        &alice.access,
    )
    .await;
    let inside = list(&app, &alice.access, &format!("?parent_id={}", id(&dir))).await;
    assert_eq!(inside["total"], 21);
    assert_eq!(entry_rows(&app, alice.id), 23);
    assert_eq!(storage_used(&app, alice.id), size as i64 + 20 * 3);
    assert_eq!(sum_of_sizes(&app, alice.id), size as i64 + 20 * 3);
    let mut want = vec![sha_hex(&winner), sha_hex(&[1; 3])];
    want.sort();
    assert_eq!(blob_files(&app), want, "replaced contents are all released");
    assert_eq!(tmp_files(&app), Vec::<PathBuf>::new());
}
