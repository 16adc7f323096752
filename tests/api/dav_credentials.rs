//! Tests: the cache of verified WebDAV Basic passwords (src/service/cache/basic.rs) is
//! emptied for a user by logout-all, and a changed password is never served from it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::json;

use crate::helpers::{TestApp, NEW_PASSWORD, PASSWORD};

async fn propfind(app: &TestApp, user: &str, password: &str) -> u16 {
    let auth = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
    let headers = [("authorization", auth.as_str()), ("depth", "0")];
    let method = Method::from_bytes(b"PROPFIND").unwrap();
    let reply = app.send_raw(method, "/dav/", &headers, Vec::new()).await;
    reply.status.as_u16()
}

#[tokio::test]
async fn logout_all_forgets_a_users_remembered_passwords() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    assert_eq!(propfind(&app, "alice", PASSWORD).await, 207);
    assert_eq!(propfind(&app, "bob", PASSWORD).await, 207);
    let before = app.cache("basic_credentials");
    assert_eq!(before.entries, 2);
    // Remembered: the second request is a hit, not a second Argon2 verification.
    assert_eq!(propfind(&app, "alice", PASSWORD).await, 207);
    assert_eq!(app.cache("basic_credentials").hits, before.hits + 1);
    let out = app
        .post("/api/v1/auth/logout-all", Some(&alice.access), json!({}))
        .await;
    out.assert_status(204);
    assert_eq!(app.cache("basic_credentials").entries, 1, "bob's stays");
    assert_eq!(propfind(&app, "alice", PASSWORD).await, 207);
    let _ = bob;
}

#[tokio::test]
async fn a_changed_password_is_refused_at_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    assert_eq!(propfind(&app, "alice", PASSWORD).await, 207);
    let body = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD});
    let changed = app
        .post("/api/v1/auth/change-password", Some(&alice.access), body)
        .await;
    changed.assert_status(200);
    assert_eq!(propfind(&app, "alice", PASSWORD).await, 401);
    assert_eq!(propfind(&app, "alice", NEW_PASSWORD).await, 207);
}
