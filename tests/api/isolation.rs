//! Tests: one user's drive is invisible to everyone else, admins included (SPEC §9): another
//! user's ids answer exactly like ids that do not exist.

use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

const NOWHERE: i64 = 999_999;

/// Alice's things: a folder with a file, a PNG at the root, and a trashed file.
struct Alice {
    session: Session,
    folder: Value,
    file: Value,
    png: Value,
    trashed: Value,
}

async fn alice_with_files(app: &TestApp, name: &str) -> Alice {
    let session = app.register(name).await;
    let t = &session.access;
    let folder = mkdir(app, t, "private", None).await;
    let file = upload_into(app, t, id(&folder), "diary.txt", b"dear diary").await;
    let png = upload(app, t, "pic.png", &crate::content_preview::png_bytes(4, 4)).await;
    let trashed = upload(app, t, "old.txt", b"old secrets").await;
    app.delete(&file_url(id(&trashed)), Some(t))
        .await
        .assert_status(204);
    Alice {
        session,
        folder,
        file,
        png,
        trashed,
    }
}

/// Everything Alice can observe about her drive.
async fn snapshot(app: &TestApp, alice: &Alice) -> Value {
    let t = &alice.session.access;
    let mut files = Vec::new();
    for entry in [&alice.folder, &alice.file, &alice.png] {
        files.push(get_ok(app, &file_url(id(entry)), t).await);
        if entry["kind"] == "file" {
            let content = app
                .get(&format!("{}/content", file_url(id(entry))), Some(t))
                .await;
            files.push(json!(content.body));
        }
    }
    json!({
        "files": files,
        "root": list(app, t, "").await,
        "folder": list(app, t, &format!("?parent_id={}", id(&alice.folder))).await,
        "trash": trash_list(app, t).await,
        "used": storage_used(app, alice.session.id),
        "rows": entry_rows(app, alice.session.id),
    })
}

/// Every request another user could make with a file id, folder id or trash id.
fn requests(
    file: i64,
    png: i64,
    folder: i64,
    trashed: i64,
    own: i64,
) -> Vec<(Method, String, Option<Value>)> {
    let f = file_url(file);
    vec![
        (Method::GET, f.clone(), None),
        (Method::PATCH, f.clone(), Some(json!({"name": "mine.txt"}))),
        (Method::DELETE, f.clone(), None),
        (Method::POST, format!("{f}/copy"), Some(json!({}))),
        (Method::GET, format!("{f}/download"), None),
        (Method::GET, format!("{f}/content"), None),
        (Method::GET, format!("{f}/preview"), None),
        (Method::GET, format!("{f}/preview-info"), None),
        (Method::GET, format!("{}/thumbnail", file_url(png)), None),
        (Method::POST, format!("{f}/link"), Some(json!({}))),
        (
            Method::POST,
            format!("{TRASH}/{trashed}/restore"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("{TRASH}/{trashed}"), None),
        (Method::GET, format!("{FILES}?parent_id={folder}"), None),
        (
            Method::GET,
            format!("{FILES}?parent_id={folder}&q=diary"),
            None,
        ),
        (
            Method::POST,
            FOLDERS.to_owned(),
            Some(json!({"name": "in", "parent_id": folder})),
        ),
        (
            Method::PATCH,
            file_url(own),
            Some(json!({"parent_id": folder})),
        ),
        (
            Method::POST,
            format!("{}/copy", file_url(own)),
            Some(json!({"parent_id": folder})),
        ),
    ]
}

#[tokio::test]
async fn another_user_gets_the_same_404_as_for_a_missing_id_on_every_file_route() {
    let app = TestApp::new();
    let alice = alice_with_files(&app, "alice").await;
    let bob = app.register("bob").await;
    let own = upload(&app, &bob.access, "bob.txt", b"bob").await;
    let before = snapshot(&app, &alice).await;
    let bob_blobs = blob_files(&app);

    let theirs = requests(
        id(&alice.file),
        id(&alice.png),
        id(&alice.folder),
        id(&alice.trashed),
        id(&own),
    );
    let missing = requests(NOWHERE, NOWHERE, NOWHERE, NOWHERE, id(&own));
    for ((method, url, body), (_, missing_url, _)) in theirs.into_iter().zip(missing) {
        let reply = app
            .send(method.clone(), &url, Some(&bob.access), body.clone())
            .await;
        reply.assert_error(404, "not_found");
        let reference = app
            .send(method, &missing_url, Some(&bob.access), body)
            .await;
        assert_eq!(reply.body, reference.body, "{url}");
        assert_eq!(
            reply.header("content-type"),
            reference.header("content-type"),
            "{url}"
        );
    }
    // Uploads into Alice's folder, as a query parameter and as a form field.
    let folder = id(&alice.folder).to_string();
    let query = upload_parts(
        &app,
        &bob.access,
        &format!("?parent_id={folder}"),
        &[file_part("x.txt", b"x")],
    )
    .await;
    query.assert_error(404, "not_found");
    let field = [text_part("parent_id", &folder), file_part("y.txt", b"y")];
    let reply = upload_parts(&app, &bob.access, "", &field).await;
    reply.assert_error(404, "not_found");
    let reference = upload_parts(
        &app,
        &bob.access,
        &format!("?parent_id={NOWHERE}"),
        &[file_part("x.txt", b"x")],
    )
    .await;
    assert_eq!(query.body, reference.body);

    assert_eq!(
        snapshot(&app, &alice).await,
        before,
        "Alice's drive is unchanged"
    );
    assert_eq!(blob_files(&app), bob_blobs, "nothing left behind");
    assert_eq!(entry_rows(&app, bob.id), 1);
    // Paths are per user: Bob's PUT to Alice's path makes a file in Bob's own tree.
    let put = put_path(&app, &bob.access, "/private/diary.txt", b"bob's diary").await;
    put.assert_status(201);
    assert_ne!(put.json()["id"], alice.file["id"]);
    let bobs = get_ok(
        &app,
        &format!("{FILES}/by-path?path=/private/diary.txt"),
        &bob.access,
    )
    .await;
    assert_eq!(bobs["id"], put.json()["id"]);
    assert_eq!(
        snapshot(&app, &alice).await,
        before,
        "Alice's drive is still unchanged"
    );
    assert_eq!(
        get_ok(&app, &file_url(id(&own)), &bob.access).await["path"],
        "/bob.txt"
    );
}

#[tokio::test]
async fn an_admin_cannot_read_or_change_a_users_files_either() {
    let app = TestApp::new();
    let admin = app.register("admin").await;
    let alice = alice_with_files(&app, "alice").await;
    let own = upload(&app, &admin.access, "admin.txt", b"admin").await;
    let before = snapshot(&app, &alice).await;
    let theirs = requests(
        id(&alice.file),
        id(&alice.png),
        id(&alice.folder),
        id(&alice.trashed),
        id(&own),
    );
    for (method, url, body) in theirs {
        let reply = app.send(method, &url, Some(&admin.access), body).await;
        reply.assert_error(404, "not_found");
    }
    let everywhere = list(&app, &admin.access, "?q=diary").await;
    assert_eq!(everywhere["total"], 0);
    assert_eq!(snapshot(&app, &alice).await, before);
}

#[tokio::test]
async fn search_never_returns_another_users_names() {
    let app = TestApp::new();
    let alice = alice_with_files(&app, "alice").await;
    let t = &alice.session.access;
    upload(&app, t, "secret-plan.txt", b"plan").await;
    mkdir(&app, t, "secret", None).await;
    let bob = app.register("bob").await;
    upload(&app, &bob.access, "my-secret-note.txt", b"note").await;
    let found = list(&app, &bob.access, "?q=secret").await;
    assert_eq!(names(&found), ["my-secret-note.txt"]);
    assert_eq!(found["total"], 1);
    for q in ["plan", "diary", "private", "pic", "old"] {
        let found = list(&app, &bob.access, &format!("?q={q}")).await;
        assert_eq!(
            (&found["items"], &found["total"]),
            (&json!([]), &json!(0)),
            "{q}"
        );
    }
    assert_eq!(
        names(&list(&app, &bob.access, "").await),
        ["my-secret-note.txt"]
    );
    assert_eq!(trash_list(&app, &bob.access).await["total"], 0);
    let by_path = app
        .get(
            &format!("{FILES}/by-path?path=/private/diary.txt"),
            Some(&bob.access),
        )
        .await;
    by_path.assert_error(404, "not_found");
    let alice_view = list(&app, t, "?q=secret").await;
    assert_eq!(names(&alice_view), ["secret", "secret-plan.txt"]);
}

#[tokio::test]
async fn deleting_a_user_removes_their_entries_and_blobs_but_not_content_another_user_shares() {
    let app = TestApp::new();
    let admin = app.register("admin").await;
    let alice = alice_with_files(&app, "alice").await;
    let t = &alice.session.access;
    let shared = b"the same bytes for both".to_vec();
    upload(&app, t, "shared.txt", &shared).await;
    let bob = app.register("bob").await;
    let bobs = upload(&app, &bob.access, "copy-of-shared.txt", &shared).await;
    assert_eq!(blob_refs(&app, &sha_hex(&shared)), Some(2));

    let reply = app
        .delete(
            &format!("/api/v1/users/{}", alice.session.id),
            Some(&admin.access),
        )
        .await;
    reply.assert_status(204);
    assert_eq!(entry_rows(&app, alice.session.id), 0);
    assert_eq!(blob_files(&app), [sha_hex(&shared)]);
    assert_eq!(blob_refs(&app, &sha_hex(&shared)), Some(1));
    for gone in [&b"dear diary"[..], b"old secrets"] {
        assert_eq!(blob_refs(&app, &sha_hex(gone)), None);
    }
    let content = app
        .get(
            &format!("{}/content", file_url(id(&bobs))),
            Some(&bob.access),
        )
        .await;
    content.assert_status(200);
    assert_eq!(content.body, shared);
    let on_disk = stored_blob(&app, &sha_hex(&shared)).expect("blob");
    assert_eq!(on_disk, shared);
    assert_eq!(storage_used(&app, bob.id), shared.len() as i64);
}
