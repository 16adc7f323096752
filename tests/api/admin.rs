//! Tests: admin — `/users` management, `/admin/stats` and `/admin/cache` (SPEC §4 "Admin").

// Test support: a failed expectation is a failed test.

use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const USERS: &str = "/api/v1/users";
const ME: &str = "/api/v1/users/me";
const STATS: &str = "/api/v1/admin/stats";
const CACHE: &str = "/api/v1/admin/cache";

/// `check!(request, status)` / `check!(request, status, code)`: awaits a request and asserts
/// its status (and error code).
macro_rules! check {
    ($request:expr, $status:expr) => {
        $request.await.assert_status($status)
    };
    ($request:expr, $status:expr, $code:expr) => {
        $request.await.assert_error($status, $code)
    };
}

fn user_path(id: i64) -> String {
    format!("{USERS}/{id}")
}

fn kv(key: &str) -> String {
    format!("{CACHE}/kv/{key}")
}

/// The given keys of a JSON object, for compact comparisons.
fn pick(value: &Value, keys: &[&str]) -> Value {
    let pairs = keys.iter().map(|k| (k.to_string(), value[*k].clone()));
    Value::Object(pairs.collect())
}

/// All keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort_unstable();
    keys
}

fn usernames(list: &Value) -> Vec<&str> {
    let items = list["items"].as_array().expect("items");
    items
        .iter()
        .map(|u| u["username"].as_str().expect("name"))
        .collect()
}

/// Asserts a 200 and returns the JSON body.
async fn get_ok(app: &TestApp, path: &str, token: &str) -> Value {
    let reply = app.get(path, Some(token)).await;
    reply.assert_status(200);
    reply.json()
}

/// Creates an account as admin, asserting 201; returns its User.
async fn create_user(app: &TestApp, admin: &str, name: &str, role: &str) -> Value {
    let email = format!("{name}@example.com");
    let body = json!({"username": name, "email": email, "password": PASSWORD, "role": role});
    let reply = app.post(USERS, Some(admin), body).await;
    reply.assert_status(201);
    reply.json()
}

async fn get_user(app: &TestApp, admin: &str, id: i64) -> Value {
    get_ok(app, &user_path(id), admin).await
}

/// `POST /users/{id}/activate` or `/deactivate`.
async fn action(app: &TestApp, admin: &str, id: i64, verb: &str) -> Reply {
    let path = format!("{}/{verb}", user_path(id));
    app.send(Method::POST, &path, Some(admin), None).await
}

/// A personal API token of the session's user.
async fn new_api_token(app: &TestApp, token: &str) -> String {
    let body = json!({"name": "script"});
    let reply = app.post("/api/v1/auth/tokens", Some(token), body).await;
    reply.assert_status(201);
    reply.json()["token"].as_str().expect("token").to_owned()
}

fn count_rows(app: &TestApp, table: &str, column: &str, id: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = ?1");
    app.db().query_row(&sql, [id], |r| r.get(0)).expect("count")
}

/// Every admin route, with a body that would be valid for an admin.
fn admin_routes(target: i64) -> Vec<(Method, String, Option<Value>)> {
    let user = user_path(target);
    let new_user = json!({"username": "mallory", "email": "m@example.com", "password": PASSWORD});
    vec![
        (Method::GET, USERS.into(), None),
        (Method::POST, USERS.into(), Some(new_user)),
        (Method::GET, user.clone(), None),
        (Method::PATCH, user.clone(), Some(json!({"role": "admin"}))),
        (Method::DELETE, user.clone(), None),
        (Method::POST, format!("{user}/activate"), None),
        (Method::POST, format!("{user}/deactivate"), None),
        (Method::GET, STATS.into(), None),
        (Method::GET, CACHE.into(), None),
        (Method::DELETE, CACHE.into(), None),
        (Method::GET, kv("k"), None),
        (Method::PUT, kv("k"), Some(json!({"value": 1}))),
        (Method::DELETE, kv("k"), None),
    ]
}

#[tokio::test]
async fn every_admin_route_refuses_plain_users_and_anonymous_callers_and_changes_nothing() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    check!(app.put(&kv("k"), Some(t), json!({"value": "kept"})), 201);
    let before = get_user(&app, t, alice.id).await;
    for (method, path, body) in admin_routes(alice.id) {
        for (token, want) in [
            (None, "401 unauthorized"),
            (Some(&*alice.access), "403 forbidden"),
        ] {
            let reply = app.send(method.clone(), &path, token, body.clone()).await;
            let got = format!("{} {}", reply.status.as_u16(), reply.code());
            assert_eq!(got, want, "{method} {path}");
        }
    }
    assert_eq!(get_user(&app, t, alice.id).await, before);
    assert_eq!(get_ok(&app, STATS, t).await["users"], 2, "no mallory");
    assert_eq!(get_ok(&app, &kv("k"), t).await["value"], "kept");
}

#[tokio::test]
async fn the_user_list_has_the_list_shape_searches_and_pages() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    for name in ["bob", "carol", "dave"] {
        create_user(&app, t, name, "user").await;
    }
    let all = app.get(USERS, Some(t)).await;
    assert!(!String::from_utf8_lossy(&all.body).contains("$argon2"));
    let all = all.json();
    let paging = ["total", "limit", "offset"];
    assert_eq!(keys(&all), ["items", "limit", "offset", "total"]);
    let want = json!({"total": 5, "limit": 100, "offset": 0});
    assert_eq!(pick(&all, &paging), want);
    assert_eq!(usernames(&all), ["admin", "alice", "bob", "carol", "dave"]);

    let found = get_ok(&app, &format!("{USERS}?q=ali"), t).await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["id"], alice.id);
    assert_eq!(usernames(&found), ["alice"]);

    let page = get_ok(&app, &format!("{USERS}?limit=2&offset=1"), t).await;
    let want = json!({"total": 5, "limit": 2, "offset": 1});
    assert_eq!(pick(&page, &paging), want);
    assert_eq!(usernames(&page), ["alice", "bob"]);

    let past = get_ok(&app, &format!("{USERS}?offset=50"), t).await;
    let want = json!({"items": [], "total": 5});
    assert_eq!(pick(&past, &["items", "total"]), want);
    let clamped = get_ok(&app, &format!("{USERS}?limit=5000"), t).await;
    assert_eq!(clamped["limit"], 1000);
    let negative = format!("{USERS}?limit=-1");
    check!(app.get(&negative, Some(t)), 400, "bad_request");
}

#[tokio::test]
async fn an_admin_creates_users_with_role_and_quota_under_the_registration_rules() {
    let app = TestApp::new();
    let (admin, _) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let body = json!({"username": "bob", "email": "bob@example.com", "password": PASSWORD,
                      "role": "admin", "storage_quota": 1_000_000});
    let created = app.post(USERS, Some(t), body).await;
    created.assert_status(201);
    let bob = created.json();
    let want = json!({"role": "admin", "storage_quota": 1_000_000, "display_name": "bob"});
    assert_eq!(pick(&bob, &["role", "storage_quota", "display_name"]), want);
    let id = bob["id"].as_i64().expect("id");
    assert_eq!(get_user(&app, t, id).await, bob);
    app.login_ok("bob", PASSWORD).await;
    let carol = create_user(&app, t, "carol", "user").await;
    let want = json!({"role": "user", "storage_quota": null});
    assert_eq!(pick(&carol, &["role", "storage_quota"]), want);

    let user = |name: &str, email: &str, password: &str| json!({"username": name, "email": email, "password": password});
    let bob_mail = json!({"email": "bob@x.io"});
    check!(app.patch(&user_path(id), Some(t), bob_mail), 200);
    let mut bad_role = user("frank", "f@x.io", PASSWORD);
    bad_role["role"] = json!("root");
    let refused = [
        (user("dave", "d@x.io", "password"), 422, "weak_password"),
        (user("BOB", "o@x.io", PASSWORD), 409, "username_taken"),
        (user("erin", "BOB@x.io", PASSWORD), 409, "email_taken"),
        (user("x", "x@x.io", PASSWORD), 422, "validation_failed"),
        (bad_role, 400, "bad_request"),
    ];
    for (body, status, code) in refused {
        check!(app.post(USERS, Some(t), body), status, code);
    }
    let users = get_ok(&app, STATS, t).await["users"].clone();
    assert_eq!(users, 4, "refused creations left no account");
}

#[tokio::test]
async fn an_unknown_user_id_is_not_found() {
    let app = TestApp::new();
    let (admin, _) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let path = user_path(9999);
    let change = json!({"display_name": "x"});
    check!(app.get(&path, Some(t)), 404, "not_found");
    check!(app.patch(&path, Some(t), change), 404, "not_found");
    check!(app.delete(&path, Some(t)), 404, "not_found");
    check!(action(&app, t, 9999, "activate"), 404, "not_found");
    check!(action(&app, t, 9999, "deactivate"), 404, "not_found");
}

#[tokio::test]
async fn an_admin_patches_role_quota_activation_display_name_and_email() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let (t, path) = (admin.access.as_str(), user_path(alice.id));
    let change = json!({"role": "admin", "storage_quota": 5000,
                        "display_name": "Alice L", "email": "al@example.com"});
    let reply = app.patch(&path, Some(t), change.clone()).await;
    reply.assert_status(200);
    let user = get_user(&app, t, alice.id).await;
    assert_eq!(reply.json(), user);
    let fields = ["role", "storage_quota", "display_name", "email"];
    assert_eq!(pick(&user, &fields), change);
    // Her new role takes effect on her very next request.
    check!(app.get(STATS, Some(&alice.access)), 200);

    let changes = [
        json!({"storage_quota": null}),
        json!({"display_name": "Al"}),
    ];
    for change in changes {
        check!(app.patch(&path, Some(t), change), 200);
    }
    let kept = get_user(&app, t, alice.id).await;
    let want = json!({"role": "admin", "storage_quota": null, "email": "al@example.com"});
    assert_eq!(pick(&kept, &["role", "storage_quota", "email"]), want);

    let off = json!({"is_active": false, "role": "user"});
    let reply = app.patch(&path, Some(t), off.clone()).await;
    reply.assert_status(200);
    assert_eq!(pick(&reply.json(), &["is_active", "role"]), off);
    check!(app.get(ME, Some(&alice.access)), 401, "token_revoked");
}

#[tokio::test]
async fn unknown_fields_bad_roles_and_bad_values_are_refused_and_change_nothing() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let (t, path) = (admin.access.as_str(), user_path(alice.id));
    let before = get_user(&app, t, alice.id).await;
    // Some refused bodies also carry a valid role change, which must not apply either.
    let taken = json!({"email": "ADMIN@example.com", "role": "admin"});
    let bad_mail = json!({"email": "@", "role": "admin"});
    let cases = [
        (json!({"bogus": 1}), 400, "bad_request"),
        (json!({"role": "admin", "hash": "x"}), 400, "bad_request"),
        (json!({"role": "root"}), 400, "bad_request"),
        (json!({"is_active": "no"}), 400, "bad_request"),
        (json!({"storage_quota": "lots"}), 400, "bad_request"),
        (json!({"storage_quota": -1}), 422, "validation_failed"),
        (bad_mail, 422, "validation_failed"),
        (json!({"display_name": ""}), 422, "validation_failed"),
        (taken, 409, "email_taken"),
    ];
    for (body, status, code) in cases {
        check!(app.patch(&path, Some(t), body.clone()), status, code);
        assert_eq!(get_user(&app, t, alice.id).await, before, "after {body}");
    }
}

#[tokio::test]
async fn deactivation_revokes_tokens_and_blocks_login_until_activated() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let (t, old) = (admin.access.as_str(), alice.access.as_str());
    let pat = new_api_token(&app, old).await;
    check!(app.get(ME, Some(&pat)), 200);

    let off = action(&app, t, alice.id, "deactivate").await;
    off.assert_status(200);
    assert_eq!(off.json()["is_active"], false);
    check!(app.get(ME, Some(old)), 401, "token_revoked");
    check!(app.get(ME, Some(&pat)), 401, "token_revoked");
    let refresh = json!({"refresh_token": alice.refresh});
    let refreshed = app.post("/api/v1/auth/refresh", None, refresh).await;
    refreshed.assert_error(401, "token_revoked");
    check!(app.login("alice", PASSWORD), 403, "account_disabled");
    assert_eq!(get_ok(&app, STATS, t).await["active_users"], 1);

    let on = action(&app, t, alice.id, "activate").await;
    on.assert_status(200);
    assert_eq!(on.json()["is_active"], true);
    let fresh = app.login_ok("alice", PASSWORD).await;
    check!(app.get(ME, Some(&fresh.access)), 200);
    check!(app.get(ME, Some(old)), 401, "token_revoked");
}

#[tokio::test]
async fn the_last_admin_cannot_demote_deactivate_or_delete_themself() {
    let app = TestApp::new();
    let (admin, _) = app.admin_and_user().await;
    let (t, path) = (admin.access.as_str(), user_path(admin.id));
    let before = get_user(&app, t, admin.id).await;
    let changes = [
        json!({"role": "user"}),
        json!({"is_active": false}),
        json!({"role": "user", "is_active": false}),
    ];
    for change in changes {
        check!(app.patch(&path, Some(t), change), 422, "last_admin");
    }
    check!(action(&app, t, admin.id, "deactivate"), 422, "last_admin");
    check!(app.delete(&path, Some(t)), 422, "last_admin");
    assert_eq!(get_user(&app, t, admin.id).await, before);
    check!(app.get(STATS, Some(t)), 200);
    app.login_ok("admin", PASSWORD).await;
}

#[tokio::test]
async fn with_two_admins_one_can_be_demoted() {
    let app = TestApp::new();
    let (admin, _) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let second = create_user(&app, t, "root2", "admin").await;
    let second = user_path(second["id"].as_i64().expect("id"));
    let (me, demote) = (user_path(admin.id), json!({"role": "user"}));
    let demoted = app.patch(&second, Some(t), demote.clone()).await;
    demoted.assert_status(200);
    assert_eq!(demoted.json()["role"], "user");
    // Now the first admin is the last one again.
    check!(app.patch(&me, Some(t), demote.clone()), 422, "last_admin");
    // A deactivated admin does not count as another admin.
    let inactive_admin = json!({"role": "admin", "is_active": false});
    check!(app.patch(&second, Some(t), inactive_admin), 200);
    check!(app.patch(&me, Some(t), demote.clone()), 422, "last_admin");

    check!(app.patch(&second, Some(t), json!({"is_active": true})), 200);
    check!(app.patch(&me, Some(t), demote), 200);
    check!(app.get(STATS, Some(t)), 403, "forbidden");
}

#[tokio::test]
async fn deleting_a_user_revokes_their_tokens_and_cascades_their_rows() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let pat = new_api_token(&app, &alice.access).await;
    app.login_ok("alice", PASSWORD).await;
    assert_eq!(count_rows(&app, "sessions", "user_id", alice.id), 2);
    assert_eq!(count_rows(&app, "api_tokens", "user_id", alice.id), 1);

    let deleted = app.delete(&user_path(alice.id), Some(t)).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    check!(app.get(ME, Some(&alice.access)), 401, "token_revoked");
    // The token row outlives its owner (revoked, owner NULL) so it answers `token_revoked`.
    check!(app.get(ME, Some(&pat)), 401, "token_revoked");
    check!(app.get(&user_path(alice.id), Some(t)), 404, "not_found");
    check!(app.login("alice", PASSWORD), 401, "invalid_credentials");
    for table in ["sessions", "api_tokens", "avatars"] {
        assert_eq!(count_rows(&app, table, "user_id", alice.id), 0, "{table}");
    }
    assert_eq!(count_rows(&app, "users", "id", alice.id), 0);
    assert_eq!(get_ok(&app, STATS, t).await["users"], 1);
}

#[tokio::test]
async fn stats_count_users_and_report_free_disk() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let s = get_ok(&app, STATS, t).await;
    let free = s["free_disk_bytes"].as_u64().expect("free_disk_bytes");
    assert!(free > 0);
    let want = json!({"users": 2, "active_users": 2, "files": 0, "folders": 0,
                      "bytes_logical": 0, "bytes_stored": 0, "bytes_saved_by_dedup": 0,
                      "versions": 0, "bytes_in_versions": 0, "free_disk_bytes": free});
    assert_eq!(s, want, "exactly the SPEC's keys");

    check!(action(&app, t, alice.id, "deactivate"), 200);
    let s = get_ok(&app, STATS, t).await;
    let want = json!({"users": 2, "active_users": 1});
    assert_eq!(pick(&s, &["users", "active_users"]), want);
}

#[tokio::test]
async fn cache_counters_grow_with_authenticated_requests_and_flush() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let (t, a) = (admin.access.as_str(), alice.access.as_str());
    let first = get_ok(&app, CACHE, t).await;
    assert_eq!(keys(&first), ["entries", "hits", "misses"]);
    for _ in 0..3 {
        check!(app.get(ME, Some(a)), 200);
    }
    let after = get_ok(&app, CACHE, t).await;
    let grew = after["hits"].as_u64() > first["hits"].as_u64();
    assert!(grew, "{first} -> {after}");
    assert!(after["entries"].as_u64().expect("entries") > 0);

    let flushed = app.delete(CACHE, Some(t)).await;
    flushed.assert_status(204);
    assert!(flushed.body.is_empty());
    // Flushing only drops copies: tokens still work, and revoked ones stay revoked.
    check!(app.get(ME, Some(a)), 200);
    check!(app.post("/api/v1/auth/logout", Some(a), json!({})), 204);
    check!(app.delete(CACHE, Some(t)), 204);
    check!(app.get(ME, Some(a)), 401, "token_revoked");
}

#[tokio::test]
async fn the_diagnostic_kv_namespace_stores_reads_and_deletes_values() {
    let app = TestApp::new();
    let (admin, _) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let body = json!({"value": {"a": [1, 2]}, "ttl_s": 60});
    let put = app.put(&kv("k"), Some(t), body.clone()).await;
    put.assert_status(201);
    // SPEC §2: a create is 201, replacing a live value 200.
    let again = app.put(&kv("k"), Some(t), body).await;
    again.assert_status(200);
    let put = again.json();
    assert_eq!(keys(&put), ["expires_at", "key", "ttl_s", "value"]);
    let want = json!({"key": "k", "value": {"a": [1, 2]}, "ttl_s": 60});
    assert_eq!(pick(&put, &["key", "value", "ttl_s"]), want);
    let expires = put["expires_at"].as_str().expect("expires_at");
    chrono::DateTime::parse_from_rfc3339(expires).expect("RFC 3339");
    assert_eq!(get_ok(&app, &kv("k"), t).await, put);

    check!(app.get(&kv("missing"), Some(t)), 404, "not_found");
    check!(app.delete(&kv("k"), Some(t)), 204);
    check!(app.get(&kv("k"), Some(t)), 404, "not_found");
    check!(app.delete(&kv("k"), Some(t)), 404, "not_found");

    let zero = app
        .put(&kv("z"), Some(t), json!({"value": 1, "ttl_s": 0}))
        .await;
    zero.assert_error(422, "validation_failed");
    assert!(zero.json()["fields"]["ttl_s"].is_string());
    check!(app.get(&kv("z"), Some(t)), 404, "not_found");
    let too_long = json!({"value": 1, "ttl_s": 30 * 86_400 + 1});
    check!(
        app.put(&kv("z"), Some(t), too_long),
        422,
        "validation_failed"
    );
    let negative = json!({"value": 1, "ttl_s": -1});
    check!(app.put(&kv("z"), Some(t), negative), 400, "bad_request");
    let long_key = kv(&"k".repeat(257));
    check!(
        app.put(&long_key, Some(t), json!({"value": 1})),
        422,
        "validation_failed"
    );
    let default = app.put(&kv("d"), Some(t), json!({"value": null})).await;
    default.assert_status(201);
    assert_eq!(default.json()["ttl_s"], 3600);

    // Flushing the caches empties the diagnostic namespace too.
    check!(app.delete(CACHE, Some(t)), 204);
    check!(app.get(&kv("d"), Some(t)), 404, "not_found");
}

/// Without `AUTOINCREMENT`, SQLite hands the largest rowid out again after a delete, so a
/// new account can get a deleted one's user id and session id; neither may matter.
#[tokio::test]
async fn a_new_account_never_inherits_a_deleted_accounts_tokens_or_revocations() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    check!(app.delete(&user_path(alice.id), Some(&admin.access)), 204);
    check!(app.get(ME, Some(&alice.access)), 401, "token_revoked");
    let bob = app.register("bob").await;
    // Bob is not locked out by what was cached about Alice's session...
    check!(app.get(ME, Some(&bob.access)), 200);
    // ...and Alice's old tokens do not open Bob's account.
    check!(app.get(ME, Some(&alice.access)), 401, "token_revoked");
    let refresh = json!({"refresh_token": alice.refresh});
    check!(
        app.post("/api/v1/auth/refresh", None, refresh),
        401,
        "token_revoked"
    );
}
