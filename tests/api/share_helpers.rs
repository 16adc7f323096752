//! Helpers shared by the share tests: creating shares, public URLs, anonymous requests, and
//! checks that public answers are safe and reveal nothing of the owner.

#![allow(dead_code)]

use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

pub const SHARES: &str = "/api/v1/shares";

/// `/api/v1/public/shares/{token}{rest}`.
pub fn public(token: &str, rest: &str) -> String {
    format!("/api/v1/public/shares/{token}{rest}")
}

pub fn share_url(id: i64) -> String {
    format!("{SHARES}/{id}")
}

/// Creates a share; asserts 201 and returns it.
pub async fn create_share(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post(SHARES, Some(token), body).await;
    reply.assert_status(201);
    reply.json()
}

/// An RFC 3339 time `seconds` from now.
pub fn from_now(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds)).to_rfc3339()
}

pub fn token_of(share: &Value) -> String {
    share["token"].as_str().expect("token").to_owned()
}

/// A column of a share row, read straight from the database.
pub fn share_column(app: &TestApp, id: i64, column: &str) -> rusqlite::types::Value {
    let sql = format!("SELECT {column} FROM shares WHERE id = ?1");
    app.db()
        .query_row(&sql, [id], |r| r.get(0))
        .expect("share row")
}

pub fn share_rows(app: &TestApp) -> i64 {
    app.db()
        .query_row("SELECT COUNT(*) FROM shares", [], |r| r.get(0))
        .expect("count")
}

/// Sends a request without an account, with these headers.
pub async fn anon(app: &TestApp, method: Method, url: &str, headers: &[(&str, &str)]) -> Reply {
    app.send_raw(method, url, headers, Vec::new()).await
}

/// `GET /api/v1/public/shares/{token}{rest}` without an account.
pub async fn public_get(app: &TestApp, token: &str, rest: &str) -> Reply {
    app.get(&public(token, rest), None).await
}

/// `GET url` without an account, with `X-Share-Password: password`.
pub async fn with_password(app: &TestApp, url: &str, password: &str) -> Reply {
    anon(app, Method::GET, url, &[("x-share-password", password)]).await
}

/// `POST /api/v1/public/shares/{token}/unlock` with `password`.
pub async fn unlock(app: &TestApp, token: &str, password: &str) -> Reply {
    let body = json!({ "password": password });
    app.post(&public(token, "/unlock"), None, body).await
}

/// The owner changes a share's settings; asserts 200.
pub async fn update_share(app: &TestApp, owner: &str, share: &Value, settings: Value) {
    let reply = app
        .patch(&share_url(id(share)), Some(owner), settings)
        .await;
    reply.assert_status(200);
}

/// The share as its owner sees it.
pub async fn owner_view(app: &TestApp, owner: &str, share: &Value) -> Value {
    get_ok(app, &share_url(id(share)), owner).await
}

/// Alice shares `/docs` holding `a.txt`, `sub/b.bin` and `sub/deeper/c.txt` (plus a trashed
/// `gone.txt`); returns (app, alice, share, token).
pub async fn folder_share() -> (TestApp, Session, Value, String) {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    put_path(&app, t, "/docs/a.txt", b"alpha")
        .await
        .assert_status(201);
    put_path(&app, t, "/docs/sub/b.bin", &[9u8; 3000])
        .await
        .assert_status(201);
    put_path(&app, t, "/docs/sub/deeper/c.txt", b"charlie")
        .await
        .assert_status(201);
    put_path(&app, t, "/outside.txt", b"not shared")
        .await
        .assert_status(201);
    let gone = put_path(&app, t, "/docs/gone.txt", b"trashed").await.json();
    app.delete(&file_url(id(&gone)), Some(t))
        .await
        .assert_status(204);
    let docs = get_ok(&app, &format!("{FILES}/by-path?path=/docs"), t).await;
    let share = create_share(&app, t, json!({"file_id": id(&docs)})).await;
    let token = token_of(&share);
    (app, alice, share, token)
}

/// Alice shares one file; returns (app, alice, file, share, token).
pub async fn file_share(
    name: &str,
    data: &[u8],
    settings: Value,
) -> (TestApp, Session, Value, Value, String) {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let file = upload(&app, &alice.access, name, data).await;
    let mut body = settings;
    body["file_id"] = json!(id(&file));
    let share = create_share(&app, &alice.access, body).await;
    let token = token_of(&share);
    (app, alice, file, share, token)
}

#[track_caller]
pub fn assert_safe(reply: &Reply) {
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let csp = reply.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
}

/// Fails when an answer carries anything of the owner: ids, names, hashes, token.
#[track_caller]
pub fn assert_reveals_nothing(reply: &Reply, alice: &Session, share: &Value) {
    let text = String::from_utf8_lossy(&reply.body);
    for secret in [
        alice.username.as_str(),
        "alice@example.com",
        "argon2",
        "outside.txt",
        "owner",
        "\"id\"",
        "file_id",
        "sha256",
        share["token"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret:?} in {text}");
    }
}

pub fn downloads(app: &TestApp, share: &Value) -> i64 {
    match share_column(app, id(share), "downloads") {
        rusqlite::types::Value::Integer(n) => n,
        other => panic!("{other:?}"),
    }
}
