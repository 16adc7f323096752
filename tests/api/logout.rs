//! Tests: logout, logout-all, password change, deactivation and demotion taking effect on
//! the very next request, and no secret ever stored in clear (SPEC §4).

use poem::http::Method;
use rusqlite::types::ValueRef;
use serde_json::json;

use crate::auth::*;
use crate::helpers::*;

#[tokio::test]
async fn logout_revokes_the_access_and_refresh_tokens_of_the_session() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    me_ok(&app, &alice.access).await;
    let body = json!({"refresh_token": alice.refresh});
    let reply = app
        .post("/api/v1/auth/logout", Some(&alice.access), body)
        .await;
    reply.assert_status(204);
    assert!(reply.body.is_empty());
    assert_session_dead(&app, &alice).await;
    let sql = "SELECT COUNT(*) FROM revoked_tokens WHERE jti = ?1";
    let listed: i64 = app
        .db()
        .query_row(sql, [jti(&alice.access)], |r| r.get(0))
        .expect("row");
    assert_eq!(listed, 1);
    assert_eq!(live_sessions(&app), 0);
}

#[tokio::test]
async fn logout_without_any_body_or_content_type_works() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bearer = format!("Bearer {}", alice.access);
    let headers = [("authorization", bearer.as_str())];
    let reply = app
        .send_raw(Method::POST, "/api/v1/auth/logout", &headers, Vec::new())
        .await;
    reply.assert_status(204);
    assert_session_dead(&app, &alice).await;
}

#[tokio::test]
async fn logging_out_one_session_leaves_another_session_working() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let second = app.login_ok("alice", PASSWORD).await;
    post_empty(&app, "/api/v1/auth/logout", &first.access)
        .await
        .assert_status(204);
    assert_session_dead(&app, &first).await;
    me_ok(&app, &second.access).await;
    refresh(&app, &second.refresh).await.assert_status(200);
}

#[tokio::test]
async fn logout_with_another_sessions_refresh_token_ends_that_session_too() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let second = app.login_ok("alice", PASSWORD).await;
    let third = app.login_ok("alice", PASSWORD).await;
    let body = json!({"refresh_token": second.refresh});
    app.post("/api/v1/auth/logout", Some(&first.access), body)
        .await
        .assert_status(204);
    assert_session_dead(&app, &first).await;
    assert_session_dead(&app, &second).await;
    me_ok(&app, &third.access).await;
}

#[tokio::test]
async fn logout_all_ends_every_session_but_not_api_tokens() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let second = app.login_ok("alice", PASSWORD).await;
    let pat = create_pat(&app, &first.access).await;
    post_empty(&app, "/api/v1/auth/logout-all", &second.access)
        .await
        .assert_status(204);
    assert_session_dead(&app, &first).await;
    assert_session_dead(&app, &second).await;
    assert_eq!(live_sessions(&app), 0);
    me_ok(&app, &pat).await;
}

#[tokio::test]
async fn change_password_with_a_wrong_old_password_is_invalid_credentials() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let body = json!({"old_password": "not my password at all", "new_password": NEW_PASSWORD});
    let reply = change_password(&app, &alice.access, body).await;
    reply.assert_error(401, "invalid_credentials");
    me_ok(&app, &alice.access).await;
    app.login("alice", PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn change_password_rejects_weak_or_mismatched_new_passwords() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let weak = json!({"old_password": PASSWORD, "new_password": "password"});
    let reply = change_password(&app, &alice.access, weak).await;
    reply.assert_error(422, "weak_password");
    assert!(reply.json()["fields"]
        .as_object()
        .is_some_and(|f| !f.is_empty()));
    let mismatched = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": "tranquil otter meadow lanterns"});
    let reply = change_password(&app, &alice.access, mismatched).await;
    reply.assert_error(422, "validation_failed");
    assert!(reply.json()["fields"]["new_password_confirm"].is_string());
    me_ok(&app, &alice.access).await;
    app.login("alice", PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn changing_the_password_ends_every_session_and_returns_working_tokens() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let other = app.login_ok("alice", PASSWORD).await;
    let pat = create_pat(&app, &first.access).await;
    let body = json!({"old_password": PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_confirm": NEW_PASSWORD});
    let reply = change_password(&app, &first.access, body).await;
    reply.assert_status(200);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    me_ok(&app, tokens["access_token"].as_str().expect("access")).await;
    assert_session_dead(&app, &first).await;
    assert_session_dead(&app, &other).await;
    let fresh_refresh = tokens["refresh_token"].as_str().expect("refresh");
    refresh(&app, fresh_refresh).await.assert_status(200);
    me_ok(&app, &pat).await;
    let reply = app.login("alice", PASSWORD).await;
    reply.assert_error(401, "invalid_credentials");
    app.login("alice", NEW_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn a_deactivated_users_tokens_are_revoked_on_the_next_request() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let pat = create_pat(&app, &alice.access).await;
    // Warm every cache the check goes through.
    me_ok(&app, &alice.access).await;
    me_ok(&app, &pat).await;
    admin_action(&app, &admin, alice.id, "deactivate").await;
    me_revoked(&app, &alice.access).await;
    me_revoked(&app, &pat).await;
    refresh(&app, &alice.refresh)
        .await
        .assert_error(401, "token_revoked");
    // Reactivation does not bring the ended session back.
    admin_action(&app, &admin, alice.id, "activate").await;
    me_revoked(&app, &alice.access).await;
    app.login("alice", PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn a_demoted_admin_is_forbidden_on_the_next_request() {
    let app = TestApp::new();
    let root = app.register("root").await;
    let mut body = account("deputy", "deputy@example.com", PASSWORD);
    body["role"] = json!("admin");
    app.post("/api/v1/users", Some(&root.access), body)
        .await
        .assert_status(201);
    let deputy = app.login_ok("deputy", PASSWORD).await;
    app.get("/api/v1/users", Some(&deputy.access))
        .await
        .assert_status(200);
    let path = format!("/api/v1/users/{}", deputy.id);
    let demoted = app
        .patch(&path, Some(&root.access), json!({"role": "user"}))
        .await;
    demoted.assert_status(200);
    assert_eq!(demoted.json()["role"], "user");
    let reply = app.get("/api/v1/users", Some(&deputy.access)).await;
    reply.assert_error(403, "forbidden");
    me_ok(&app, &deputy.access).await;
}

/// Every text or blob value of every table, labelled `table.column`.
fn stored_values(app: &TestApp) -> Vec<(String, String)> {
    let conn = app.db();
    let sql = "SELECT name FROM sqlite_master WHERE type = 'table'";
    let mut stmt = conn.prepare(sql).expect("prepare");
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("tables");
    let mut out = Vec::new();
    for table in tables.map(|t| t.expect("name")) {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let mut rows = stmt.query([]).expect("rows");
        while let Some(row) = rows.next().expect("row") {
            for (i, column) in names.iter().enumerate() {
                if let ValueRef::Text(v) | ValueRef::Blob(v) = row.get_ref(i).expect("value") {
                    let text = String::from_utf8_lossy(v).into_owned();
                    out.push((format!("{table}.{column}"), text));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn the_database_never_holds_passwords_or_tokens_in_clear() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let login = app.login_ok("alice", PASSWORD).await;
    let rotated = refresh(&app, &login.refresh).await.json();
    let rotated = rotated["refresh_token"].as_str().expect("rotated refresh");
    let pat = create_pat(&app, &alice.access).await;
    me_ok(&app, &pat).await;
    let secret_part = &pat["hoard_pat_".len()..];
    let secrets = [
        PASSWORD,
        &alice.refresh,
        &login.refresh,
        rotated,
        &pat,
        secret_part,
    ];

    let mut stored = stored_values(&app);
    let database = app.state.data_dir.database();
    let wal = format!("{}-wal", database.display());
    for file in [database.display().to_string(), wal] {
        let bytes = std::fs::read(&file).expect("database file");
        stored.push((file, String::from_utf8_lossy(&bytes).into_owned()));
    }
    // Controls: the scan sees real rows and real file contents.
    let holds = |label: &str, text: &str| {
        stored
            .iter()
            .any(|(l, v)| l.ends_with(label) && v.contains(text))
    };
    assert!(holds("users.email", "alice@example.com"));
    assert!(holds("api_tokens.name", "script"));
    assert!(holds("-wal", "alice@example.com") || holds("hoard.db", "alice@example.com"));
    for (label, text) in &stored {
        for secret in secrets {
            assert!(!text.contains(secret), "{label} holds a secret in clear");
        }
    }
    let sql = "SELECT password_hash FROM users WHERE id = ?1";
    let hash: String = app
        .db()
        .query_row(sql, [alice.id], |r| r.get(0))
        .expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}
