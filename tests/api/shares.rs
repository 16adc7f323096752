//! Tests: my share links — create, list, read, update, revoke, isolation between users, and
//! what happens to a share when its file goes to the trash or its owner goes (SPEC §7).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::share_helpers::*;

#[tokio::test]
async fn creating_a_share_returns_201_with_its_link_and_settings() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "report.pdf", b"%PDF-1.4 x").await;
    let expires = from_now(3600);
    let share = create_share(
        &app,
        &alice.access,
        json!({"file_id": id(&file), "expires_at": expires, "max_downloads": 3}),
    )
    .await;
    let token = token_of(&share);
    assert_eq!(share["url"], format!("/s/{token}"));
    assert_eq!(share["file_id"], id(&file));
    assert_eq!(share["name"], "report.pdf");
    assert_eq!(share["kind"], "file");
    assert_eq!(share["max_downloads"], 3);
    assert_eq!(share["downloads"], 0);
    assert_eq!(share["has_password"], false);
    assert_eq!(share["status"], "active");
    let sent = chrono::DateTime::parse_from_rfc3339(&expires).unwrap();
    let got = chrono::DateTime::parse_from_rfc3339(share["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(got.timestamp(), sent.timestamp());
    assert!(share["created_at"].is_string());
    assert!(share.get("password").is_none() && share.get("password_hash").is_none());

    // The same share through GET, and in the database.
    let again = owner_view(&app, &alice.access, &share).await;
    assert_eq!(again, share);
    assert_eq!(
        share_column(&app, id(&share), "password_hash"),
        rusqlite::types::Value::Null
    );
    // Never-expiring and unlimited when left out.
    let plain = create_share(&app, &alice.access, json!({"file_id": id(&file)})).await;
    assert!(plain["expires_at"].is_null() && plain["max_downloads"].is_null());
}

#[tokio::test]
async fn share_tokens_are_192_random_url_safe_bits_and_never_repeat() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "a.txt", b"a").await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..40 {
        let share = create_share(&app, &alice.access, json!({"file_id": id(&file)})).await;
        let token = token_of(&share);
        assert_eq!(token.len(), 32, "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{token}"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 24);
        assert!(seen.insert(token), "a token repeated");
    }
}

#[tokio::test]
async fn a_share_password_is_stored_as_argon2id_and_never_returned() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, "a.txt", b"a").await;
    let reply = app
        .post(
            SHARES,
            Some(&alice.access),
            json!({"file_id": id(&file), "password": "open sesame"}),
        )
        .await;
    reply.assert_status(201);
    let share = reply.json();
    assert_eq!(share["has_password"], true);
    let text = String::from_utf8_lossy(&reply.body).to_string();
    assert!(
        !text.contains("open sesame") && !text.contains("argon2"),
        "{text}"
    );
    let hash = match share_column(&app, id(&share), "password_hash") {
        rusqlite::types::Value::Text(hash) => hash,
        other => panic!("no hash: {other:?}"),
    };
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("open sesame"));
    let listed = get_ok(&app, SHARES, &alice.access).await;
    let text = listed.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("sesame"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_settings_are_validation_failures_naming_the_field_and_store_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = id(&upload(&app, &alice.access, "a.txt", b"a").await);
    let t = Some(alice.access.as_str());
    let reply = app
        .post(
            SHARES,
            t,
            json!({"file_id": file, "expires_at": from_now(-60)}),
        )
        .await;
    reply.assert_error(422, "validation_failed");
    assert!(reply.json()["fields"]["expires_at"].is_string());
    let reply = app
        .post(
            SHARES,
            t,
            json!({"file_id": file, "max_downloads": 0, "password": ""}),
        )
        .await;
    reply.assert_error(422, "validation_failed");
    let fields = reply.json()["fields"].clone();
    assert!(fields["max_downloads"].is_string() && fields["password"].is_string());
    let long = "x".repeat(129);
    app.post(SHARES, t, json!({"file_id": file, "password": long}))
        .await
        .assert_error(422, "validation_failed");
    // Wrong JSON types and unknown fields are bad requests.
    for body in [
        json!({"file_id": "1"}),
        json!({"file_id": file, "expires_at": 12}),
        json!({"file_id": file, "expires_at": "tomorrow"}),
        json!({"file_id": file, "max_downloads": "3"}),
        json!({"file_id": file, "password": 1234}),
        json!({"file_id": file, "role": "x"}),
        json!({}),
    ] {
        app.post(SHARES, t, body.clone())
            .await
            .assert_error(400, "bad_request");
    }
    assert_eq!(share_rows(&app), 0);
}

#[tokio::test]
async fn my_shares_are_listed_newest_first_in_the_list_shape_and_filtered_by_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let a = id(&upload(&app, &alice.access, "a.txt", b"a").await);
    let folder = id(&mkdir(&app, &alice.access, "docs", None).await);
    let first = create_share(&app, &alice.access, json!({"file_id": a})).await;
    let second = create_share(&app, &alice.access, json!({"file_id": folder})).await;
    let third = create_share(&app, &alice.access, json!({"file_id": a})).await;
    let bobs = id(&upload(&app, &bob.access, "b.txt", b"b").await);
    create_share(&app, &bob.access, json!({"file_id": bobs})).await;

    let list = get_ok(&app, SHARES, &alice.access).await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&third), id(&second), id(&first)]);
    assert_eq!(
        (&list["total"], &list["limit"], &list["offset"]),
        (&json!(3), &json!(100), &json!(0))
    );
    assert_eq!(list["items"][1]["kind"], "folder");
    let page = get_ok(&app, &format!("{SHARES}?limit=1&offset=1"), &alice.access).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(id(&page["items"][0]), id(&second));
    assert_eq!(page["total"], 3);
    let of_a = get_ok(&app, &format!("{SHARES}?file_id={a}"), &alice.access).await;
    let ids: Vec<i64> = of_a["items"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&third), id(&first)]);
    assert_eq!(of_a["total"], 2);
    let past = get_ok(&app, &format!("{SHARES}?offset=50"), &alice.access).await;
    assert_eq!(
        (past["items"].as_array().unwrap().len(), &past["total"]),
        (0, &json!(3))
    );
    app.get(&format!("{SHARES}?limit=-1"), Some(&alice.access))
        .await
        .assert_error(400, "bad_request");
    app.get(SHARES, None)
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn patch_sets_and_clears_fields_and_leaves_absent_ones_alone() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = Some(alice.access.as_str());
    let file = id(&upload(&app, &alice.access, "a.txt", b"a").await);
    let share = create_share(
        &app,
        &alice.access,
        json!({"file_id": file, "password": "pw", "expires_at": from_now(600), "max_downloads": 2}),
    )
    .await;
    let url = share_url(id(&share));

    let reply = app.patch(&url, t, json!({"max_downloads": 5})).await;
    reply.assert_status(200);
    let changed = reply.json();
    assert_eq!(changed["max_downloads"], 5);
    assert_eq!(changed["has_password"], true);
    assert_eq!(changed["expires_at"], share["expires_at"]);
    assert_eq!(changed["token"], share["token"], "the link stays the same");

    let later = from_now(7200);
    let changed = app
        .patch(&url, t, json!({"expires_at": later, "password": null}))
        .await
        .json();
    assert_eq!(changed["has_password"], false);
    assert_ne!(changed["expires_at"], share["expires_at"]);
    assert_eq!(
        share_column(&app, id(&share), "password_hash"),
        rusqlite::types::Value::Null
    );

    let changed = app
        .patch(
            &url,
            t,
            json!({"expires_at": null, "max_downloads": null, "password": "new one"}),
        )
        .await
        .json();
    assert!(changed["expires_at"].is_null() && changed["max_downloads"].is_null());
    assert_eq!(changed["has_password"], true);

    let unchanged = app.patch(&url, t, json!({})).await;
    unchanged.assert_status(200);
    assert_eq!(unchanged.json(), changed);

    let reply = app
        .patch(&url, t, json!({"expires_at": from_now(-5)}))
        .await;
    reply.assert_error(422, "validation_failed");
    assert!(reply.json()["fields"]["expires_at"].is_string());
    app.patch(&url, t, json!({"max_downloads": -1}))
        .await
        .assert_error(422, "validation_failed");
    app.patch(&url, t, json!({"password": ""}))
        .await
        .assert_error(422, "validation_failed");
    app.patch(&url, t, json!({"file_id": 99}))
        .await
        .assert_error(400, "bad_request");
    assert_eq!(get_ok(&app, &url, &alice.access).await, changed);
    app.patch(&share_url(9999), t, json!({}))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn deleting_a_share_revokes_its_link_at_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = id(&upload(&app, &alice.access, "a.txt", b"hello").await);
    let share = create_share(&app, &alice.access, json!({"file_id": file})).await;
    let token = token_of(&share);
    public_get(&app, &token, "/download")
        .await
        .assert_status(200);
    let reply = app
        .delete(&share_url(id(&share)), Some(&alice.access))
        .await;
    reply.assert_status(204);
    assert!(reply.body.is_empty());
    app.get(&share_url(id(&share)), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
    for rest in ["", "/download", "/content"] {
        public_get(&app, &token, rest)
            .await
            .assert_error(404, "not_found");
    }
    app.delete(&share_url(id(&share)), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
    // The file itself is untouched.
    get_ok(&app, &file_url(file), &alice.access).await;
}

#[tokio::test]
async fn another_user_can_neither_see_change_delete_nor_create_shares_of_my_files() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let file = id(&upload(&app, &alice.access, "secret.txt", b"mine").await);
    let share = create_share(
        &app,
        &alice.access,
        json!({"file_id": file, "max_downloads": 4}),
    )
    .await;
    let url = share_url(id(&share));
    let b = Some(bob.access.as_str());

    app.get(&url, b).await.assert_error(404, "not_found");
    app.patch(&url, b, json!({"max_downloads": null}))
        .await
        .assert_error(404, "not_found");
    app.delete(&url, b).await.assert_error(404, "not_found");
    app.post(SHARES, b, json!({"file_id": file}))
        .await
        .assert_error(404, "not_found");
    let list = get_ok(&app, SHARES, &bob.access).await;
    assert_eq!(list["total"], 0);
    let filtered = get_ok(&app, &format!("{SHARES}?file_id={file}"), &bob.access).await;
    assert_eq!(filtered["total"], 0);
    assert_eq!(get_ok(&app, &url, &alice.access).await, share, "unchanged");

    // Alice is the admin (the first account), and still sees none of Bob's shares.
    let bobs = id(&upload(&app, &bob.access, "b.txt", b"b").await);
    let bobs_share = create_share(&app, &bob.access, json!({"file_id": bobs})).await;
    let a = Some(alice.access.as_str());
    app.get(&share_url(id(&bobs_share)), a)
        .await
        .assert_error(404, "not_found");
    app.delete(&share_url(id(&bobs_share)), a)
        .await
        .assert_error(404, "not_found");
    assert_eq!(get_ok(&app, SHARES, &alice.access).await["total"], 1);
    assert_eq!(share_rows(&app), 2);
}

#[tokio::test]
async fn a_trashed_file_is_not_shared_until_restored_and_purging_ends_the_share() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = Some(alice.access.as_str());
    let folder = id(&mkdir(&app, &alice.access, "docs", None).await);
    let file = id(&upload_into(&app, &alice.access, folder, "a.txt", b"abc").await);
    let share = create_share(&app, &alice.access, json!({"file_id": file})).await;
    let token = token_of(&share);

    // Trashing the folder above it takes the file out of reach too.
    app.delete(&file_url(folder), t).await.assert_status(204);
    public_get(&app, &token, "")
        .await
        .assert_error(404, "not_found");
    public_get(&app, &token, "/download")
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        owner_view(&app, &alice.access, &share).await["status"],
        "in_trash"
    );
    // Nor can a trashed file be shared anew.
    app.post(SHARES, t, json!({"file_id": file}))
        .await
        .assert_error(404, "not_found");

    app.post(&format!("{TRASH}/{folder}/restore"), t, json!({}))
        .await
        .assert_status(200);
    let reply = public_get(&app, &token, "/download").await;
    reply.assert_status(200);
    assert_eq!(reply.body, b"abc");
    assert_eq!(
        owner_view(&app, &alice.access, &share).await["status"],
        "active"
    );

    app.delete(&file_url(folder), t).await.assert_status(204);
    app.delete(&format!("{TRASH}/{folder}"), t)
        .await
        .assert_status(204);
    assert_eq!(share_rows(&app), 0, "the share went with the file");
    app.get(&share_url(id(&share)), t)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_share_follows_renames_and_never_reaches_a_new_file_of_the_same_name() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = Some(alice.access.as_str());
    let file = id(&upload(&app, &alice.access, "a.txt", b"old").await);
    let share = create_share(&app, &alice.access, json!({"file_id": file})).await;
    let token = token_of(&share);
    app.patch(&file_url(file), t, json!({"name": "b.txt"}))
        .await
        .assert_status(200);
    assert_eq!(public_get(&app, &token, "").await.json()["name"], "b.txt");
    app.delete(&file_url(file), t).await.assert_status(204);
    upload(&app, &alice.access, "b.txt", b"new").await;
    public_get(&app, &token, "/download")
        .await
        .assert_error(404, "not_found");
}

/// `POST {user}/{action}` as the admin.
async fn admin_action(app: &TestApp, admin: &Session, user: &str, action: &str) -> Reply {
    let url = format!("{user}/{action}");
    app.send(Method::POST, &url, Some(&admin.access), None)
        .await
}

#[tokio::test]
async fn a_deactivated_owners_shares_are_404_and_a_deleted_owner_takes_them_along() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let file = id(&upload(&app, &alice.access, "a.txt", b"abc").await);
    let share = create_share(&app, &alice.access, json!({"file_id": file})).await;
    let token = token_of(&share);
    let user = format!("/api/v1/users/{}", alice.id);
    admin_action(&app, &admin, &user, "deactivate")
        .await
        .assert_status(200);
    public_get(&app, &token, "/download")
        .await
        .assert_error(404, "not_found");
    admin_action(&app, &admin, &user, "activate")
        .await
        .assert_status(200);
    public_get(&app, &token, "/download")
        .await
        .assert_status(200);
    app.delete(&user, Some(&admin.access))
        .await
        .assert_status(204);
    assert_eq!(share_rows(&app), 0);
    public_get(&app, &token, "")
        .await
        .assert_error(404, "not_found");
}
