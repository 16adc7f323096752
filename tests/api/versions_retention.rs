//! Versions (SPEC §13) under pressure: retention by count and age (on each new version and
//! by the sweeper), the quota dropping the oldest versions before refusing, concurrent
//! overwrites, and `hoard check` counting version references.

use std::sync::Arc;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::versions_helpers::*;

const DAY: i64 = 86_400;

/// Makes `/f.bin` and replaces it with each of `contents` in turn; returns its id.
async fn file_with_history(app: &TestApp, token: &str, contents: &[&[u8]]) -> i64 {
    let file = id(&put_path(app, token, "/f.bin", b"initial").await.json());
    for bytes in contents {
        put_path(app, token, "/f.bin", bytes)
            .await
            .assert_status(200);
    }
    file
}

/// Moves a version's replacement time `days` into the past, as time passing would.
fn age(app: &TestApp, version: i64, days: i64) {
    let sql = "UPDATE file_versions SET created_at = created_at - ?2 WHERE id = ?1";
    app.db().execute(sql, [version, days * DAY]).expect("age");
}

#[tokio::test]
async fn each_new_version_trims_the_file_to_max_per_file() {
    let app = TestApp::with_config(|c| c.versions.max_per_file = 3);
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = file_with_history(&app, t, &[b"a1", b"a22", b"a333", b"a4444", b"a55555"]).await;
    let want = [sha_hex(b"a4444"), sha_hex(b"a333"), sha_hex(b"a22")];
    assert_eq!(history(&app, t, file).await, want);
    assert_eq!(get_ok(&app, &file_url(file), t).await["versions"], 3);
    assert_eq!(storage_used(&app, alice.id), 6 + 5 + 4 + 3);
    let mut blobs = want.to_vec();
    blobs.push(sha_hex(b"a55555"));
    blobs.sort();
    assert_eq!(blob_files(&app), blobs, "dropped versions' blobs are gone");
    assert_clean(&app).await;
}

#[tokio::test]
async fn max_per_file_zero_turns_versions_off() {
    let app = TestApp::with_config(|c| c.versions.max_per_file = 0);
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = file_with_history(&app, t, &[b"b1", b"b2"]).await;
    assert_eq!(versions(&app, t, file).await["total"], 0);
    assert_eq!(blob_files(&app), [sha_hex(b"b2")]);
    assert_eq!(storage_used(&app, alice.id), 2);
}

#[tokio::test]
async fn a_new_version_drops_the_files_versions_past_max_age() {
    let app = TestApp::with_config(|c| c.versions.max_age_days = 30);
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = file_with_history(&app, t, &[b"c1", b"c2"]).await;
    let list = versions(&app, t, file).await;
    let (newer, older) = (vid(&items(&list)[0]), vid(&items(&list)[1]));
    age(&app, older, 31);
    age(&app, newer, 29);
    put_path(&app, t, "/f.bin", b"c3").await.assert_status(200);
    assert_eq!(
        history(&app, t, file).await,
        [sha_hex(b"c2"), sha_hex(b"c1")]
    );
    assert!(!blob_files(&app).contains(&sha_hex(b"initial")));
    assert_eq!(storage_used(&app, alice.id), 2 + 2 + 2);
    assert_clean(&app).await;
}

#[tokio::test]
async fn the_sweeper_applies_age_and_a_lowered_count_to_every_file() {
    let app = TestApp::with_config(|c| c.versions.max_age_days = 90);
    let alice = app.register("alice").await;
    let t = &alice.access;
    let file = file_with_history(&app, t, &[b"d1", b"d22", b"d333", b"d4444"]).await;
    let oldest = vid(&items(&versions(&app, t, file).await)[3]);
    age(&app, oldest, 91);
    assert_eq!(app.state.drive.sweep_versions().await.expect("sweep"), 1);
    assert_eq!(versions(&app, t, file).await["total"], 3);
    assert_eq!(app.state.drive.sweep_versions().await.expect("sweep"), 0);

    // Restarted with a lower count: the sweep trims every file to it, oldest first.
    let app = TestApp::reopen_with(&app, |c| c.versions.max_per_file = 1);
    assert_eq!(app.state.drive.sweep_versions().await.expect("sweep"), 2);
    assert_eq!(history(&app, t, file).await, [sha_hex(b"d333")]);
    assert_eq!(storage_used(&app, alice.id), 5 + 4);
    assert_eq!(blob_files(&app).len(), 2);
    assert_clean(&app).await;
}

#[tokio::test]
async fn an_upload_that_needs_room_drops_the_oldest_versions_first_then_refuses() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    set_quota(&app, &admin.access, alice.id, Some(100)).await;
    let t = &alice.access;
    // 20 bytes in the trash, a 20-byte file with two versions (10, then 15 bytes).
    let trashed = upload(&app, t, "trashed.bin", &[9; 20]).await;
    app.delete(&file_url(id(&trashed)), Some(t))
        .await
        .assert_status(204);
    let file = id(&put_path(&app, t, "/f.bin", &[1; 10]).await.json());
    put_path(&app, t, "/f.bin", &[2; 15]).await;
    put_path(&app, t, "/f.bin", &[3; 20]).await;
    assert_eq!(storage_used(&app, alice.id), 20 + 20 + 15 + 10);

    // 40 more bytes: 105 > 100, so the oldest version (10 bytes) goes, and only it.
    upload(&app, t, "new.bin", &[4; 40]).await;
    assert_eq!(history(&app, t, file).await, [sha_hex(&[2; 15])]);
    assert_eq!(storage_used(&app, alice.id), 95);

    // 21 bytes cannot fit even without versions: 507, and the version is still there.
    let footprint = (
        entry_rows(&app, alice.id),
        blob_files(&app),
        storage_used(&app, alice.id),
    );
    upload_parts(&app, t, "", &[file_part("big.bin", &[5; 21])])
        .await
        .assert_error(507, "quota_exceeded");
    put_path(&app, t, "/dir/big.bin", &[5; 21])
        .await
        .assert_error(507, "quota_exceeded");
    assert_eq!(
        (
            entry_rows(&app, alice.id),
            blob_files(&app),
            storage_used(&app, alice.id)
        ),
        footprint
    );
    assert_eq!(history(&app, t, file).await, [sha_hex(&[2; 15])]);
    assert_eq!(tmp_files(&app), Vec::<std::path::PathBuf>::new());

    // 20 bytes fit by dropping that version; the trash and the current files stay.
    upload(&app, t, "fits.bin", &[6; 20]).await;
    assert_eq!(versions(&app, t, file).await["total"], 0);
    assert_eq!(storage_used(&app, alice.id), 100);
    assert_eq!(trash_list(&app, t).await["total"], 1);
    assert_eq!(content(&app, t, file).await, [3; 20]);
    assert_clean(&app).await;
}

#[tokio::test]
async fn replacing_a_file_at_a_full_quota_keeps_working_by_dropping_its_old_content() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    set_quota(&app, &admin.access, alice.id, Some(10)).await;
    let t = &alice.access;
    let file = id(&put_path(&app, t, "/f.bin", &[1; 10]).await.json());
    let replaced = put_path(&app, t, "/f.bin", &[2; 10]).await;
    replaced.assert_status(200);
    assert_eq!(
        versions(&app, t, file).await["total"],
        0,
        "no room to keep it"
    );
    assert_eq!(storage_used(&app, alice.id), 10);
    assert_eq!(blob_files(&app), [sha_hex(&[2; 10])]);
    assert_clean(&app).await;
}

#[tokio::test]
async fn concurrent_overwrites_leave_a_linear_history_with_nothing_lost() {
    let app = Arc::new(TestApp::with_config(|c| c.versions.max_per_file = 100));
    let alice = app.register("alice").await;
    let file = id(&put_path(&app, &alice.access, "/hot.bin", b"v0")
        .await
        .json());
    let contents: Vec<Vec<u8>> = (1..=16u8).map(|n| vec![n; 100 + n as usize]).collect();
    let mut tasks = Vec::new();
    for bytes in contents.clone() {
        let (app, token) = (app.clone(), alice.access.clone());
        tasks.push(tokio::spawn(async move {
            put_path(&app, &token, "/hot.bin", &bytes)
                .await
                .status
                .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), 200);
    }
    let t = &alice.access;
    let current = get_ok(&app, &file_url(file), t).await;
    let list = versions(&app, t, file).await;
    assert_eq!(list["total"], 16);
    let mut seen: Vec<String> = items(&list)
        .iter()
        .map(|v| v["sha256"].as_str().unwrap().to_owned())
        .collect();
    seen.push(current["sha256"].as_str().unwrap().to_owned());
    seen.sort();
    let mut want: Vec<String> = contents.iter().map(|c| sha_hex(c)).collect();
    want.push(sha_hex(b"v0"));
    want.sort();
    assert_eq!(
        seen, want,
        "every content is the current one or exactly one version"
    );
    assert_eq!(blob_files(&app), want, "no blob lost, none left over");
    let ids: Vec<i64> = items(&list).iter().map(vid).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(storage_used(&app, alice.id), sum_of_sizes(&app, alice.id));
    assert_clean(&app).await;
}

#[tokio::test]
async fn check_counts_version_references_and_repair_fixes_the_totals() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    file_with_history(&app, t, &[b"e1"]).await;
    let only_in_version = sha_hex(b"initial");
    assert_eq!(blob_refs(&app, &only_in_version), Some(1));
    let db = app.db();
    db.execute(
        "UPDATE blobs SET refs = 5 WHERE sha256 = ?1",
        [&only_in_version],
    )
    .expect("refs");
    db.execute(
        "UPDATE users SET storage_used = 2 WHERE id = ?1",
        [alice.id],
    )
    .expect("usage");
    let problems = check(&app, false).await;
    assert_eq!(
        problems,
        [
            format!("blob {only_in_version} records 5 references, has 1"),
            format!("user {} records 2 bytes used, has 9", alice.id),
        ]
    );
    assert_eq!(check(&app, true).await, Vec::<String>::new());
    assert_eq!(blob_refs(&app, &only_in_version), Some(1));
    assert_eq!(storage_used(&app, alice.id), 9);
    assert_clean(&app).await;
}
