//! Tests: registration and login, and accounts whose ids are never reused (SPEC §4).

use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// An app whose per-IP registration throttle does not get in the way of many attempts.
pub(crate) fn roomy_app() -> TestApp {
    TestApp::with_config(|c| c.auth.registrations_per_ip_per_hour = 1000)
}

pub(crate) fn account(username: &str, email: &str, password: &str) -> Value {
    json!({"username": username, "email": email, "password": password})
}

pub(crate) async fn register_body(app: &TestApp, body: Value) -> Reply {
    app.post("/api/v1/auth/register", None, body).await
}

pub(crate) fn users(app: &TestApp) -> i64 {
    let sql = "SELECT COUNT(*) FROM users";
    app.db().query_row(sql, [], |r| r.get(0)).expect("count")
}

pub(crate) fn live_sessions(app: &TestApp) -> i64 {
    let sql = "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL";
    app.db().query_row(sql, [], |r| r.get(0)).expect("count")
}

pub(crate) fn jti(token: &str) -> String {
    claims_of(token)["jti"].as_str().expect("jti").to_owned()
}

pub(crate) async fn post_empty(app: &TestApp, path: &str, token: &str) -> Reply {
    app.send(Method::POST, path, Some(token), None).await
}

pub(crate) async fn create_pat(app: &TestApp, access: &str) -> String {
    let body = json!({"name": "script"});
    let reply = app.post("/api/v1/auth/tokens", Some(access), body).await;
    reply.assert_status(201);
    reply.json()["token"].as_str().expect("token").to_owned()
}

pub(crate) async fn change_password(app: &TestApp, token: &str, body: Value) -> Reply {
    app.post("/api/v1/auth/change-password", Some(token), body)
        .await
}

pub(crate) async fn me_ok(app: &TestApp, token: &str) {
    me(app, token).await.assert_status(200);
}

pub(crate) async fn me_revoked(app: &TestApp, token: &str) {
    me(app, token).await.assert_error(401, "token_revoked");
}

/// An admin action on a user (`deactivate`, `activate`), asserting success.
pub(crate) async fn admin_action(app: &TestApp, admin: &Session, user_id: i64, action: &str) {
    let path = format!("/api/v1/users/{user_id}/{action}");
    post_empty(app, &path, &admin.access)
        .await
        .assert_status(200);
}

/// Asserts that a session's access and refresh tokens are both dead.
pub(crate) async fn assert_session_dead(app: &TestApp, session: &Session) {
    me_revoked(app, &session.access).await;
    let refreshed = refresh(app, &session.refresh).await;
    refreshed.assert_error(401, "token_revoked");
}

#[tokio::test]
async fn registering_returns_201_with_the_user_and_a_token_pair() {
    let app = TestApp::new();
    let reply = register_body(&app, account("alice", "alice@example.com", PASSWORD)).await;
    reply.assert_status(201);
    let body = reply.json();
    let user = &body["user"];
    let expected = [
        ("username", json!("alice")),
        ("email", json!("alice@example.com")),
        ("display_name", json!("alice")),
        ("role", json!("admin")),
        ("is_active", json!(true)),
        ("bio", json!("")),
        ("storage_used", json!(0)),
        ("storage_quota", Value::Null),
        ("avatar_url", Value::Null),
        ("last_login_at", Value::Null),
    ];
    for (key, value) in expected {
        assert_eq!(user[key], value, "{key}");
    }
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    let tokens = &body["tokens"];
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["refresh_expires_in"], 604800);
    let who = me(&app, tokens["access_token"].as_str().expect("access")).await;
    who.assert_status(200);
    assert_eq!(who.json()["id"], user["id"]);
}

#[tokio::test]
async fn the_first_account_is_admin_and_later_ones_are_users() {
    let app = TestApp::new();
    let first = app.register("first").await;
    let second = app.register("second").await;
    let first = me(&app, &first.access).await.json();
    let second = me(&app, &second.access).await.json();
    assert_eq!(
        (&first["role"], &second["role"]),
        (&json!("admin"), &json!("user"))
    );
}

#[tokio::test]
async fn a_role_sent_to_register_is_ignored() {
    let app = TestApp::new();
    app.register("admin").await;
    let mut body = account("mallory", "m@example.com", PASSWORD);
    body["role"] = json!("admin");
    let reply = register_body(&app, body).await;
    reply.assert_status(201);
    assert_eq!(reply.json()["user"]["role"], "user");
    let sql = "SELECT role FROM users WHERE username = 'mallory'";
    let role: String = app.db().query_row(sql, [], |r| r.get(0)).expect("role");
    assert_eq!(role, "user");
}

#[tokio::test]
async fn usernames_and_emails_are_unique_case_insensitively() {
    let app = TestApp::new();
    app.register("alice").await;
    let reply = register_body(&app, account("Alice", "other@example.com", PASSWORD)).await;
    reply.assert_error(409, "username_taken");
    let reply = register_body(&app, account("bob", "ALICE@Example.COM", PASSWORD)).await;
    reply.assert_error(409, "email_taken");
    assert_eq!(users(&app), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_registrations_make_one_admin_and_one_owner_per_name() {
    let app = std::sync::Arc::new(roomy_app());
    let names = [
        "ann", "ben", "cat", "dan", "carol", "Carol", "CAROL", "cArOl",
    ];
    let tasks: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (app, body) = (
                app.clone(),
                account(name, &format!("u{i}@example.com"), PASSWORD),
            );
            tokio::spawn(async move { register_body(&app, body).await })
        })
        .collect();
    let (mut created, mut admins, mut taken) = (0, 0, 0);
    for task in tasks {
        let reply = task.await.expect("task");
        if reply.status.as_u16() == 201 {
            created += 1;
            admins += usize::from(reply.json()["user"]["role"] == "admin");
        } else {
            reply.assert_error(409, "username_taken");
            taken += 1;
        }
    }
    assert_eq!((created, admins, taken), (5, 1, 3));
    let sql = "SELECT COUNT(*) FROM users WHERE role = 'admin'";
    let stored_admins: i64 = app.db().query_row(sql, [], |r| r.get(0)).expect("count");
    assert_eq!((users(&app), stored_admins), (5, 1));
}

#[tokio::test]
async fn invalid_usernames_emails_and_display_names_are_rejected_naming_the_field() {
    let app = roomy_app();
    let long = "x".repeat(33);
    let mut cases: Vec<(Value, &str)> = [
        ("ab", "ok@example.com", "username"),
        (long.as_str(), "ok@example.com", "username"),
        ("ali ce", "ok@example.com", "username"),
        ("a@b", "ok@example.com", "username"),
        ("alice", "not-an-email", "email"),
        ("alice", "alice@", "email"),
        ("alice", "", "email"),
    ]
    .into_iter()
    .map(|(username, email, field)| (account(username, email, PASSWORD), field))
    .collect();
    let mut long_display = account("alice", "ok@example.com", PASSWORD);
    long_display["display_name"] = json!("d".repeat(65));
    cases.push((long_display, "display_name"));
    for (body, field) in cases {
        let reply = register_body(&app, body.clone()).await;
        reply.assert_error(422, "validation_failed");
        assert!(
            reply.json()["fields"][field].is_string(),
            "{body}: {}",
            reply.json()
        );
    }
    assert_eq!(users(&app), 0);
}

#[tokio::test]
async fn weak_passwords_are_rejected() {
    let app = roomy_app();
    let (name, email) = ("alice_wonder", "alice_wonder@example.com");
    let too_long = "Zq9!vT".repeat(22);
    for password in ["Xy7!q", "password", name, email, &too_long] {
        let reply = register_body(&app, account(name, email, password)).await;
        reply.assert_error(422, "weak_password");
        assert!(reply.json()["fields"]["password"].is_string(), "{password}");
    }
    assert_eq!(users(&app), 0);
}

#[tokio::test]
async fn a_mismatched_password_confirm_is_a_validation_failure() {
    let app = TestApp::new();
    let mut body = account("alice", "a@example.com", PASSWORD);
    body["password_confirm"] = json!(NEW_PASSWORD);
    let reply = register_body(&app, body).await;
    reply.assert_error(422, "validation_failed");
    assert!(reply.json()["fields"]["password_confirm"].is_string());
    assert_eq!(users(&app), 0);
}

#[tokio::test]
async fn registration_can_be_closed() {
    let app = TestApp::with_config(|c| c.auth.registration = false);
    let reply = register_body(&app, account("alice", "a@example.com", PASSWORD)).await;
    reply.assert_error(403, "registration_closed");
    assert_eq!(users(&app), 0);
}

#[tokio::test]
async fn login_works_by_username_by_email_and_in_any_case() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for login in ["alice", "ALICE", "alice@example.com", "Alice@Example.com"] {
        let session = app.login_ok(login, PASSWORD).await;
        assert_eq!(session.id, alice.id, "{login}");
        me_ok(&app, &session.access).await;
    }
}

#[tokio::test]
async fn last_login_at_is_null_after_register_and_set_by_login() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let before = me(&app, &alice.access).await.json();
    assert_eq!(before["last_login_at"], Value::Null);
    let reply = app.login("alice", PASSWORD).await;
    reply.assert_status(200);
    let stamp = reply.json()["user"]["last_login_at"].clone();
    chrono::DateTime::parse_from_rfc3339(stamp.as_str().expect("a string")).expect("RFC 3339");
    assert_eq!(me(&app, &alice.access).await.json()["last_login_at"], stamp);
    let sql = "SELECT last_login_at IS NOT NULL FROM users WHERE id = ?1";
    let stored: bool = app
        .db()
        .query_row(sql, [alice.id], |r| r.get(0))
        .expect("row");
    assert!(stored);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_identical_answers() {
    let app = TestApp::new();
    app.register("alice").await;
    let wrong = app.login("alice", NEW_PASSWORD).await;
    let unknown = app.login("nobody", PASSWORD).await;
    wrong.assert_error(401, "invalid_credentials");
    unknown.assert_error(401, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(live_sessions(&app), 1, "only the registration's session");
}

#[tokio::test]
async fn a_deactivated_user_with_the_right_password_gets_account_disabled() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    admin_action(&app, &admin, alice.id, "deactivate").await;
    let reply = app.login("alice", PASSWORD).await;
    reply.assert_error(403, "account_disabled");
    // A wrong password reveals nothing about the account's state.
    let reply = app.login("alice", NEW_PASSWORD).await;
    reply.assert_error(401, "invalid_credentials");
    assert_eq!(live_sessions(&app), 1, "only the admin's session");
}

#[tokio::test]
async fn a_deleted_users_token_never_authenticates_as_a_later_account() {
    for probe_first in [true, false] {
        let app = TestApp::new();
        let (admin, alice) = app.admin_and_user().await;
        app.delete(&format!("/api/v1/users/{}", alice.id), Some(&admin.access))
            .await
            .assert_status(204);
        if probe_first {
            me_revoked(&app, &alice.access).await;
        }
        let bob = app.register("bob").await;
        assert_ne!(bob.id, alice.id, "ids are never reused");
        me_revoked(&app, &alice.access).await;
        me(&app, &bob.access).await.assert_status(200);
    }
}

#[tokio::test]
async fn emails_are_unique_case_insensitively_beyond_ascii() {
    let app = TestApp::new();
    register_body(&app, account("elodie", "élodie@example.com", PASSWORD))
        .await
        .assert_status(201);
    register_body(&app, account("elodie2", "ÉLODIE@Example.com", PASSWORD))
        .await
        .assert_error(409, "email_taken");
    app.login_ok("ÉLODIE@EXAMPLE.COM", PASSWORD).await;
    assert_eq!(users(&app), 1);
}

#[tokio::test]
async fn a_huge_login_name_is_just_invalid_credentials() {
    let app = TestApp::new();
    app.register("alice").await;
    let huge = "a".repeat(512 * 1024);
    app.login(&huge, PASSWORD)
        .await
        .assert_error(401, "invalid_credentials");
    app.login_ok("alice", PASSWORD).await;
}

/// SPEC §4: registration is throttled per address counting what creates an account and
/// the refusals that reveal a taken name or email; a family's typos (weak password, bad
/// field) do not lock it out.
#[tokio::test]
async fn only_created_accounts_and_taken_names_count_against_registration() {
    let app = TestApp::with_config(|c| c.auth.registrations_per_ip_per_hour = 2);
    for _ in 0..5 {
        let weak = account("family", "family@example.com", "password");
        register_body(&app, weak)
            .await
            .assert_error(422, "weak_password");
        let bad = account("family", "not an email", PASSWORD);
        register_body(&app, bad)
            .await
            .assert_error(422, "validation_failed");
    }
    let first = account("family", "family@example.com", PASSWORD);
    register_body(&app, first).await.assert_status(201);
    let taken = account("family", "other@example.com", PASSWORD);
    register_body(&app, taken)
        .await
        .assert_error(409, "username_taken");
    let third = account("cousin", "cousin@example.com", PASSWORD);
    register_body(&app, third)
        .await
        .assert_error(429, "rate_limited");
    assert_eq!(users(&app), 1);
}
