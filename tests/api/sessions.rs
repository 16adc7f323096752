//! Tests: refresh rotation and reuse detection, the session list, personal API tokens,
//! and pagination of those lists (SPEC §2, §4).

use std::sync::Arc;

use chrono::DateTime;
use serde_json::{json, Value};

use crate::helpers::*;

const SESSIONS: &str = "/api/v1/auth/sessions";
const TOKENS: &str = "/api/v1/auth/tokens";

/// The session (refresh family) id a JWT belongs to.
fn sid(token: &str) -> i64 {
    claims_of(token)["sid"].as_i64().expect("sid")
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

/// Creates an API token for `access`; returns (id, secret).
async fn create_token(app: &TestApp, access: &str, name: &str) -> (i64, String) {
    let reply = app
        .post(TOKENS, Some(access), json!({ "name": name }))
        .await;
    reply.assert_status(201);
    let body = reply.json();
    (
        body["id"].as_i64().expect("id"),
        body["token"].as_str().expect("token").to_owned(),
    )
}

fn session_revoked_in_db(app: &TestApp, session_id: i64) -> bool {
    app.db()
        .query_row(
            "SELECT revoked_at IS NOT NULL FROM sessions WHERE id = ?1",
            [session_id],
            |r| r.get(0),
        )
        .expect("session row")
}

#[tokio::test]
async fn refreshing_returns_a_new_pair_and_the_new_refresh_token_works() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let reply = refresh(&app, &alice.refresh).await;
    reply.assert_status(200);
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["refresh_expires_in"], 604800);
    let access = tokens["access_token"].as_str().expect("access");
    let next = tokens["refresh_token"].as_str().expect("refresh");
    assert_ne!(next, alice.refresh);
    assert_ne!(access, alice.access);
    assert_eq!(
        sid(next),
        sid(&alice.refresh),
        "rotation stays in the family"
    );
    let who = me(&app, access).await;
    who.assert_status(200);
    assert_eq!(who.json()["id"], alice.id);
    refresh(&app, next).await.assert_status(200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let rotated = refresh(&app, &alice.refresh).await.json();
    let new_access = rotated["access_token"].as_str().expect("access");
    let new_refresh = rotated["refresh_token"].as_str().expect("refresh");
    me(&app, new_access).await.assert_status(200);

    refresh(&app, &alice.refresh)
        .await
        .assert_error(401, "token_revoked");
    refresh(&app, new_refresh)
        .await
        .assert_error(401, "token_revoked");
    me(&app, new_access)
        .await
        .assert_error(401, "token_revoked");
    me(&app, &alice.access)
        .await
        .assert_error(401, "token_revoked");
    assert!(session_revoked_in_db(&app, sid(&alice.refresh)));
    // Only that family: a fresh login works.
    app.login_ok("alice", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_twenty_parallel_refreshes_of_one_token_exactly_one_wins() {
    let app = Arc::new(TestApp::new());
    let alice = app.register("alice").await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, token) = (app.clone(), alice.refresh.clone());
            tokio::spawn(async move { refresh(&app, &token).await })
        })
        .collect();
    let (mut won, mut revoked) = (0, 0);
    for task in tasks {
        let reply = task.await.expect("task");
        if reply.status.as_u16() == 200 {
            won += 1;
        } else {
            reply.assert_error(401, "token_revoked");
            revoked += 1;
        }
    }
    assert_eq!((won, revoked), (1, 19));
    let used: i64 = app
        .db()
        .query_row(
            "SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ?1",
            [sid(&alice.refresh)],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(
        used, 2,
        "one original and exactly one successor were issued"
    );
}

#[tokio::test]
async fn the_session_list_shows_live_sessions_and_marks_the_callers() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let second = app.login_ok("alice", PASSWORD).await;
    let ended = app.login_ok("alice", PASSWORD).await;
    let bob = app.register("bob").await;
    app.post("/api/v1/auth/logout", Some(&ended.access), json!({}))
        .await
        .assert_status(204);

    let reply = app.get(SESSIONS, Some(&first.access)).await;
    reply.assert_status(200);
    let list = reply.json();
    let mut keys: Vec<_> = list.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["items", "limit", "offset", "total"]);
    assert_eq!(
        (
            list["total"].as_i64(),
            list["limit"].as_i64(),
            list["offset"].as_i64()
        ),
        (Some(2), Some(100), Some(0))
    );
    let mut listed = ids(&list);
    listed.sort();
    assert_eq!(listed, [sid(&first.access), sid(&second.access)]);
    assert!(!listed.contains(&sid(&bob.access)));
    for item in list["items"].as_array().expect("items") {
        assert_eq!(item["current"], item["id"] == sid(&first.access), "{item}");
        for key in ["created_at", "last_used_at"] {
            DateTime::parse_from_rfc3339(item[key].as_str().expect(key)).expect("RFC 3339");
        }
        assert!(item["user_agent"].is_string() && item["ip"].is_string());
    }
    let from_second = app.get(SESSIONS, Some(&second.access)).await.json();
    let current: Vec<_> = from_second["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|item| item["current"] == true)
        .map(|item| item["id"].as_i64())
        .collect();
    assert_eq!(current, [Some(sid(&second.access))]);
}

#[tokio::test]
async fn revoking_a_session_ends_its_tokens_at_once() {
    let app = TestApp::new();
    let first = app.register("alice").await;
    let second = app.login_ok("alice", PASSWORD).await;
    me(&app, &second.access).await.assert_status(200);
    let target = sid(&second.access);
    app.delete(&format!("{SESSIONS}/{target}"), Some(&first.access))
        .await
        .assert_status(204);
    me(&app, &second.access)
        .await
        .assert_error(401, "token_revoked");
    refresh(&app, &second.refresh)
        .await
        .assert_error(401, "token_revoked");
    assert!(session_revoked_in_db(&app, target));
    let list = app.get(SESSIONS, Some(&first.access)).await.json();
    assert_eq!(ids(&list), [sid(&first.access)]);
    app.delete(&format!("{SESSIONS}/{target}"), Some(&first.access))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn another_users_session_cannot_be_revoked() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.delete(
        &format!("{SESSIONS}/{}", sid(&bob.access)),
        Some(&alice.access),
    )
    .await
    .assert_error(404, "not_found");
    app.delete(&format!("{SESSIONS}/999999"), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
    assert!(!session_revoked_in_db(&app, sid(&bob.access)));
    me(&app, &bob.access).await.assert_status(200);
}

#[tokio::test]
async fn an_api_token_is_shown_once_and_works_as_a_bearer() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let reply = app
        .post(TOKENS, Some(&alice.access), json!({"name": "backup"}))
        .await;
    reply.assert_status(201);
    let created = reply.json();
    let secret = created["token"].as_str().expect("token").to_owned();
    assert!(secret.starts_with("hoard_pat_"), "{secret}");
    assert_eq!(created["name"], "backup");
    assert_eq!(created["expires_at"], Value::Null);
    assert_eq!(created["last_used_at"], Value::Null);
    DateTime::parse_from_rfc3339(created["created_at"].as_str().expect("created_at"))
        .expect("RFC 3339");

    let who = me(&app, &secret).await;
    who.assert_status(200);
    assert_eq!(who.json()["id"], alice.id);

    let listed = app.get(TOKENS, Some(&alice.access)).await;
    listed.assert_status(200);
    assert!(!String::from_utf8_lossy(&listed.body).contains(&secret));
    let list = listed.json();
    assert_eq!(list["total"], 1);
    assert_eq!(ids(&list), [created["id"].as_i64().expect("id")]);
    let item = &list["items"][0];
    assert!(item.get("token").is_none(), "{item}");
    assert_eq!(item["name"], "backup");
    assert!(item["last_used_at"].is_string(), "use is recorded: {item}");
}

#[tokio::test]
async fn a_revoked_api_token_answers_token_revoked() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (id, secret) = create_token(&app, &alice.access, "cron").await;
    me(&app, &secret).await.assert_status(200);
    app.delete(&format!("{TOKENS}/{id}"), Some(&alice.access))
        .await
        .assert_status(204);
    me(&app, &secret).await.assert_error(401, "token_revoked");
    assert_eq!(
        app.get(TOKENS, Some(&alice.access)).await.json()["total"],
        0
    );
    app.delete(&format!("{TOKENS}/{id}"), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn an_expired_api_token_answers_token_expired() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (id, secret) = create_token(&app, &alice.access, "short-lived").await;
    // Age the (never used, so never cached) token past its expiry.
    let sql = "UPDATE api_tokens SET expires_at = strftime('%s','now') - 60 WHERE id = ?1";
    app.db().execute(sql, [id]).expect("update");
    me(&app, &secret).await.assert_error(401, "token_expired");
    assert_eq!(
        app.get(TOKENS, Some(&alice.access)).await.json()["total"],
        0
    );
}

#[tokio::test]
async fn another_users_api_token_cannot_be_revoked() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (id, secret) = create_token(&app, &bob.access, "bobs").await;
    app.delete(&format!("{TOKENS}/{id}"), Some(&alice.access))
        .await
        .assert_error(404, "not_found");
    me(&app, &secret).await.assert_status(200);
    assert_eq!(
        app.get(TOKENS, Some(&alice.access)).await.json()["total"],
        0
    );
}

#[tokio::test]
async fn api_token_names_and_lifetimes_are_validated() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let long = "n".repeat(65);
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": long}), "name"),
        (
            json!({"name": "ok", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"name": "ok", "expires_in_days": -1}),
            "expires_in_days",
        ),
        (
            json!({"name": "ok", "expires_in_days": 3651}),
            "expires_in_days",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post(TOKENS, Some(&alice.access), body.clone()).await;
        reply.assert_error(422, "validation_failed");
        assert!(reply.json()["fields"][field].is_string(), "{body}");
    }
    let count: i64 = app
        .db()
        .query_row("SELECT COUNT(*) FROM api_tokens", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 0);

    let reply = app
        .post(
            TOKENS,
            Some(&alice.access),
            json!({"name": "month", "expires_in_days": 30}),
        )
        .await;
    reply.assert_status(201);
    let body = reply.json();
    let at =
        |key: &str| DateTime::parse_from_rfc3339(body[key].as_str().expect(key)).expect("RFC 3339");
    assert_eq!(
        (at("expires_at") - at("created_at")).num_seconds(),
        30 * 86_400
    );
}

#[tokio::test]
async fn an_api_token_is_not_a_refresh_token() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, secret) = create_token(&app, &alice.access, "script").await;
    refresh(&app, &secret)
        .await
        .assert_error(401, "invalid_token");
    me(&app, &secret).await.assert_status(200);
}

#[tokio::test]
async fn logout_with_an_api_token_is_a_validation_failure() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, secret) = create_token(&app, &alice.access, "script").await;
    let reply = app
        .post("/api/v1/auth/logout", Some(&secret), json!({}))
        .await;
    reply.assert_error(422, "validation_failed");
    assert!(reply.json()["fields"].is_object());
    // Seen through an API token, no session is the current one.
    let list = app.get(SESSIONS, Some(&secret)).await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["current"], false);
    me(&app, &secret).await.assert_status(200);
    me(&app, &alice.access).await.assert_status(200);
}

#[tokio::test]
async fn negative_limits_and_offsets_are_bad_requests() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for list in [SESSIONS, TOKENS] {
        for query in ["limit=-1", "offset=-1"] {
            app.get(&format!("{list}?{query}"), Some(&alice.access))
                .await
                .assert_error(400, "bad_request");
        }
    }
}

#[tokio::test]
async fn a_limit_above_1000_is_clamped_and_an_offset_past_the_end_is_empty() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    create_token(&app, &alice.access, "one").await;
    for list in [SESSIONS, TOKENS] {
        let page = app
            .get(&format!("{list}?limit=5000"), Some(&alice.access))
            .await;
        page.assert_status(200);
        let page = page.json();
        assert_eq!(
            (page["limit"].as_i64(), page["total"].as_i64()),
            (Some(1000), Some(1)),
            "{list}"
        );
        assert_eq!(ids(&page).len(), 1);
        let past = app
            .get(&format!("{list}?offset=5"), Some(&alice.access))
            .await
            .json();
        assert_eq!(
            (past["total"].as_i64(), past["offset"].as_i64()),
            (Some(1), Some(5))
        );
        assert!(ids(&past).is_empty());
    }
}
