//! Tests: `modified_at`, the content's modification time as the client knows it (SPEC §11
//! "Modification times"): its default, what sets, keeps and resets it, `Last-Modified` on
//! every byte route, and the drive calls the WebDAV front makes (`put_stream` with an
//! mtime, `set_modified`). The tus `mtime` metadata is tested in `tus.rs`.

use hoard::ids::{EntryId, UserId};
use hoard::service::drive::names::parse_path;
use hoard::service::drive::upload::Outcome;
use hoard::service::drive::versions::Source;
use hoard::service::drive::{DriveError, Entry, MAX_MTIME};
use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::share_helpers::*;

/// 2001-01-01T00:00:00Z.
const Y2001: i64 = 978_307_200;
const Y2001_HTTP: &str = "Mon, 01 Jan 2001 00:00:00 GMT";

fn seconds(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn entry(app: &TestApp, token: &str, id: i64) -> Value {
    get_ok(app, &file_url(id), token).await
}

/// `Last-Modified` of a byte route of a file (`download`, `content`, `preview`).
async fn last_modified(app: &TestApp, token: &str, id: i64, route: &str) -> String {
    let reply = app
        .get(&format!("{}/{route}", file_url(id)), Some(token))
        .await;
    reply.assert_status(200);
    reply
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned()
}

/// Sets an entry's `modified_at` through the drive, as a WebDAV `PROPPATCH` will.
async fn set(app: &TestApp, owner: &Session, id: i64, at: i64) -> Entry {
    let entry = app
        .state
        .drive
        .set_modified(UserId(owner.id), EntryId(id), at)
        .await
        .expect("set_modified");
    assert_eq!(entry.record.modified_at, at);
    entry
}

#[tokio::test]
async fn uploads_and_new_folders_are_modified_when_they_arrive() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let before = now();
    let file = upload(&app, &alice.access, "a.txt", b"abc").await;
    let put = put_path(&app, &alice.access, "/b/c.txt", b"def").await;
    put.assert_status(201);
    let folder = mkdir(&app, &alice.access, "d", None).await;
    let after = now();
    for made in [file, put.json(), folder] {
        let at = seconds(&made["modified_at"]);
        assert!((before..=after).contains(&at), "{made}");
        assert_eq!(made["modified_at"], made["updated_at"], "{made}");
    }
}

#[tokio::test]
async fn put_stream_takes_an_mtime_for_new_and_replaced_files_and_checks_it_first() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (drive, owner) = (&app.state.drive, UserId(alice.id));
    let path = || parse_path("/synced/notes.txt").expect("path");

    let (made, outcome) = drive
        .put_stream(
            owner,
            path(),
            None,
            (Some(Y2001), Source::Put),
            &mut &b"first"[..],
        )
        .await
        .expect("put");
    assert_eq!(
        (outcome, made.record.modified_at),
        (Outcome::Created, Y2001)
    );
    let shown = entry(&app, &alice.access, made.record.id).await;
    assert_eq!(seconds(&shown["modified_at"]), Y2001);
    assert!(seconds(&shown["updated_at"]) >= now() - 60, "{shown}");

    let (replaced, outcome) = drive
        .put_stream(
            owner,
            path(),
            None,
            (Some(Y2001 + 60), Source::Put),
            &mut &b"second"[..],
        )
        .await
        .expect("replace");
    assert_eq!(outcome, Outcome::Replaced);
    assert_eq!(
        (replaced.record.id, replaced.record.modified_at),
        (made.record.id, Y2001 + 60)
    );

    for bad in [-1, MAX_MTIME + 1, i64::MIN, i64::MAX] {
        let mut body = &b"never read"[..];
        let refused = drive
            .put_stream(
                owner,
                parse_path("/elsewhere/x.txt").expect("path"),
                None,
                (Some(bad), Source::Put),
                &mut body,
            )
            .await;
        assert!(
            matches!(
                refused,
                Err(DriveError::Validation {
                    field: "modified_at",
                    ..
                })
            ),
            "{bad}: {refused:?}"
        );
        assert_eq!(body.len(), 10, "{bad}: bytes were read");
    }
    let missing = app
        .get(
            &format!("{FILES}/by-path?path=/elsewhere"),
            Some(&alice.access),
        )
        .await;
    missing.assert_error(404, "not_found");
}

#[tokio::test]
async fn overwriting_by_path_resets_it_to_the_upload_time() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let old = put_path(&app, &alice.access, "/r.txt", b"old").await.json();
    set(&app, &alice, id(&old), Y2001).await;
    let before = now();
    let new = put_path(&app, &alice.access, "/r.txt", b"new").await;
    new.assert_status(200);
    let new = new.json();
    assert_eq!(new["id"], old["id"]);
    assert!(seconds(&new["modified_at"]) >= before, "{new}");
    assert_eq!(new["modified_at"], new["updated_at"]);
}

#[tokio::test]
async fn copies_keep_it_and_renames_moves_and_the_trash_leave_it() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let folder = mkdir(&app, t, "album", None).await;
    let file = upload_into(&app, t, id(&folder), "cat.jpg", b"meow").await;
    set(&app, &alice, id(&folder), Y2001).await;
    set(&app, &alice, id(&file), Y2001 + 1).await;

    let copied = app
        .post(
            &format!("{}/copy", file_url(id(&folder))),
            Some(t),
            json!({"name": "album 2"}),
        )
        .await;
    copied.assert_status(201);
    let copied = copied.json();
    assert_eq!(seconds(&copied["modified_at"]), Y2001);
    assert!(
        seconds(&copied["created_at"]) > Y2001,
        "a copy is a new entry: {copied}"
    );
    let inside = list(&app, t, &format!("?parent_id={}", id(&copied))).await;
    assert_eq!(seconds(&inside["items"][0]["modified_at"]), Y2001 + 1);
    let one = app
        .post(&format!("{}/copy", file_url(id(&file))), Some(t), json!({}))
        .await;
    assert_eq!(seconds(&one.json()["modified_at"]), Y2001 + 1);

    let moved = app
        .patch(
            &file_url(id(&file)),
            Some(t),
            json!({"name": "kitten.jpg", "parent_id": null}),
        )
        .await;
    moved.assert_status(200);
    assert_eq!(seconds(&moved.json()["modified_at"]), Y2001 + 1);
    app.delete(&file_url(id(&file)), Some(t))
        .await
        .assert_status(204);
    let trashed = trash_list(&app, t).await;
    assert_eq!(seconds(&trashed["items"][0]["modified_at"]), Y2001 + 1);
    app.post(
        &format!("{TRASH}/{}/restore", id(&file)),
        Some(t),
        json!({}),
    )
    .await
    .assert_status(200);
    assert_eq!(
        seconds(&entry(&app, t, id(&file)).await["modified_at"]),
        Y2001 + 1
    );
}

#[tokio::test]
async fn last_modified_is_modified_at_on_the_owners_routes_shares_and_zips() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let folder = mkdir(&app, t, "docs", None).await;
    let file = upload_into(&app, t, id(&folder), "a.txt", b"hello").await;
    set(&app, &alice, id(&file), Y2001).await;

    for route in ["download", "content", "preview"] {
        assert_eq!(
            last_modified(&app, t, id(&file), route).await,
            Y2001_HTTP,
            "{route}"
        );
    }
    let bearer = format!("Bearer {t}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("if-modified-since", Y2001_HTTP),
    ];
    let url = format!("{}/download", file_url(id(&file)));
    app.send_raw(Method::GET, &url, &headers, Vec::new())
        .await
        .assert_status(304);

    let share = create_share(&app, t, json!({"file_id": id(&file)})).await;
    let shared = anon(
        &app,
        Method::GET,
        &public(&token_of(&share), "/download"),
        &[],
    )
    .await;
    shared.assert_status(200);
    assert_eq!(shared.header("last-modified"), Some(Y2001_HTTP));

    let folder_share = create_share(&app, t, json!({"file_id": id(&folder)})).await;
    let meta = public_get(&app, &token_of(&folder_share), "").await.json();
    assert_eq!(seconds(&meta["items"][0]["modified_at"]), Y2001, "{meta}");

    let zip = app
        .get(&format!("{}/download", file_url(id(&folder))), Some(t))
        .await;
    zip.assert_status(200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body)).expect("zip");
    let member = archive.by_name("docs/a.txt").expect("member");
    let stamped = member.extra_data_fields().find_map(|f| match f {
        zip::ExtraField::ExtendedTimestamp(t) => t.mod_time(),
        _ => None,
    });
    assert_eq!(stamped.map(i64::from), Some(Y2001));
}

#[tokio::test]
async fn set_modified_changes_only_modified_at_and_is_seen_at_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bobby").await;
    let t = &alice.access;
    let file = upload(&app, t, "f.txt", b"data").await;
    // Warm the listing and record caches: what they hold must not outlive the change.
    list(&app, t, "").await;
    last_modified(&app, t, id(&file), "content").await;

    let changed = set(&app, &alice, id(&file), Y2001).await;
    assert_eq!(changed.path, "/f.txt");
    assert_eq!(
        changed.record.updated_at,
        seconds(&file["updated_at"]),
        "updated_at stays"
    );
    let shown = entry(&app, t, id(&file)).await;
    assert_eq!(seconds(&shown["modified_at"]), Y2001);
    assert_eq!(
        (&shown["updated_at"], &shown["sha256"]),
        (&file["updated_at"], &file["sha256"])
    );
    let listed = list(&app, t, "").await;
    assert_eq!(seconds(&listed["items"][0]["modified_at"]), Y2001);
    assert_eq!(
        last_modified(&app, t, id(&file), "content").await,
        Y2001_HTTP
    );

    // The bounds themselves are times: the epoch and the last second of year 9999.
    set(&app, &alice, id(&file), MAX_MTIME).await;
    let last = entry(&app, t, id(&file)).await;
    assert_eq!(last["modified_at"], "9999-12-31T23:59:59+00:00");
    let http = last_modified(&app, t, id(&file), "download").await;
    assert_eq!(http, "Fri, 31 Dec 9999 23:59:59 GMT");
    set(&app, &alice, id(&file), 0).await;

    let drive = &app.state.drive;
    for bad in [-1, MAX_MTIME + 1] {
        let refused = drive
            .set_modified(UserId(alice.id), EntryId(id(&file)), bad)
            .await;
        assert!(
            matches!(
                refused,
                Err(DriveError::Validation {
                    field: "modified_at",
                    ..
                })
            ),
            "{bad}: {refused:?}"
        );
    }
    let bobs = drive
        .set_modified(UserId(bob.id), EntryId(id(&file)), Y2001)
        .await;
    assert!(matches!(bobs, Err(DriveError::NotFound)), "{bobs:?}");
    app.delete(&file_url(id(&file)), Some(t))
        .await
        .assert_status(204);
    let trashed = drive
        .set_modified(UserId(alice.id), EntryId(id(&file)), Y2001)
        .await;
    assert!(matches!(trashed, Err(DriveError::NotFound)), "{trashed:?}");
    let row: i64 = app
        .db()
        .query_row(
            "SELECT modified_at FROM entries WHERE id = ?1",
            [id(&file)],
            |r| r.get(0),
        )
        .expect("row");
    assert_eq!(row, 0, "refused calls changed nothing");
}
