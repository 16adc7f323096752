//! Hostile input: registration and login abuse (look-alike names, mass assignment,
//! enumeration by answer or by work done, throttles that a rotating `X-Forwarded-For` must
//! not reset) and refresh-rotation races (SPEC §4).

use std::sync::Arc;

use poem::http::Method;
use serde_json::{json, Value};

use crate::auth::{account, register_body};
use crate::helpers::*;
use crate::hostile_helpers::*;
use crate::support::server::Server;

const REGISTER: &str = "/api/v1/auth/register";
const LOGIN: &str = "/api/v1/auth/login";

fn verifications(app: &TestApp) -> u64 {
    app.state.accounts.passwords().verifications()
}

#[tokio::test]
async fn look_alike_and_malformed_usernames_are_refused_and_create_nothing() {
    let app = TestApp::with_config(|c| c.auth.registrations_per_ip_per_hour = 1000);
    app.register("alice").await;
    let invalid = [
        "alice ",
        " alice",
        "ａｌｉｃｅ",
        "\u{430}lice",
        "alice\u{200b}",
        "admin\u{0}",
        "al/ice",
        "../admin",
        "alice\n",
        "<script>",
        "ali\u{202e}ce",
    ];
    let mut cases: Vec<(String, Value, u16, &str)> = invalid
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let body = account(name, &format!("x{i}@example.com"), PASSWORD);
            (format!("username {name:?}"), body, 422, "validation_failed")
        })
        .collect();
    for name in ["Alice", "ALICE", "aLiCe"] {
        let body = account(name, &format!("{name}2@example.com"), PASSWORD);
        cases.push((format!("case variant {name}"), body, 409, "username_taken"));
    }
    let email = account("mallory", "ALICE@EXAMPLE.COM", PASSWORD);
    cases.push(("email in another case".into(), email, 409, "email_taken"));
    let long = account("mallory", "m@example.com", &"Zq9!vT".repeat(2000));
    cases.push((
        "password of 12 000 characters".into(),
        long,
        422,
        "weak_password",
    ));
    let mut confirm = account("mallory", "m@example.com", PASSWORD);
    confirm["password_confirm"] = json!(NEW_PASSWORD);
    cases.push((
        "mismatched password_confirm".into(),
        confirm,
        422,
        "validation_failed",
    ));
    for (label, body, status, code) in cases {
        refused(
            &app.data_dir(),
            &label,
            status,
            code,
            register_body(&app, body),
        )
        .await;
    }
}

#[tokio::test]
async fn nobody_registers_themself_into_admin_quota_or_another_id() {
    let app = TestApp::new();
    let admin = app.register("admin").await;
    let mut body = account("mallory", "m@example.com", PASSWORD);
    let extra = json!({"role": "admin", "is_active": false, "storage_quota": 1,
                       "storage_used": -5, "id": admin.id, "created_at": "1970-01-01T00:00:00Z"});
    for (key, value) in extra.as_object().expect("object") {
        body[key] = value.clone();
    }
    let reply = register_body(&app, body).await;
    reply.assert_status(201);
    let user = &reply.json()["user"];
    let kept = json!({"role": user["role"], "is_active": user["is_active"],
                      "storage_quota": user["storage_quota"], "storage_used": user["storage_used"]});
    assert_eq!(
        kept,
        json!({"role": "user", "is_active": true, "storage_quota": null, "storage_used": 0})
    );
    assert_ne!(user["id"], json!(admin.id));
}

/// Timing is never measured (no timed assertions in this project). What makes the two
/// paths take the same time is that both run one argon2id verification: the server counts
/// them (`Passwords::verifications`), so the test checks the work, and that the answers are
/// byte-identical.
#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_identical_answers_after_the_same_argon2_work() {
    let app = TestApp::new();
    let (admin, _alice) = app.admin_and_user().await;
    let carol = app.register("carol").await;
    let path = format!("/api/v1/users/{}/deactivate", carol.id);
    app.send(Method::POST, &path, Some(&admin.access), None)
        .await
        .assert_status(200);
    let attempts = [
        ("wrong password", "alice", NEW_PASSWORD),
        ("unknown user", "nobody", PASSWORD),
        ("unknown email", "nobody@example.com", PASSWORD),
        ("deactivated user, wrong password", "carol", NEW_PASSWORD),
        ("empty password", "alice", ""),
    ];
    let mut bodies = Vec::new();
    for (label, login, password) in attempts {
        let before = verifications(&app);
        let reply = refused(
            &app.data_dir(),
            label,
            401,
            "invalid_credentials",
            app.login(login, password),
        )
        .await;
        assert_eq!(
            verifications(&app),
            before + 1,
            "{label}: one argon2id verification"
        );
        bodies.push((label, reply.body));
    }
    for (label, body) in &bodies {
        assert_eq!(body, &bodies[0].1, "{label} answers like {}", bodies[0].0);
    }
}

#[tokio::test]
async fn login_failures_are_throttled_and_a_rotating_forwarded_for_does_not_reset_them() {
    let app = TestApp::new();
    app.register("alice").await;
    for i in 0..10 {
        let forwarded = format!("203.0.113.{i}");
        let body = json!({"username": "alice", "password": "wrong wrong wrong"}).to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-forwarded-for", forwarded.as_str()),
        ];
        let reply = app
            .send_raw(Method::POST, LOGIN, &headers, body.into_bytes())
            .await;
        reply.assert_error(401, "invalid_credentials");
    }
    for (label, forwarded, password) in [
        (
            "11th wrong password from a new X-Forwarded-For",
            "198.51.100.7",
            "wrong wrong wrong",
        ),
        (
            "right password while throttled, new X-Forwarded-For",
            "198.51.100.8",
            PASSWORD,
        ),
        (
            "right password while throttled, X-Real-IP",
            "198.51.100.9",
            PASSWORD,
        ),
    ] {
        let body = json!({"username": "alice", "password": password}).to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-forwarded-for", forwarded),
            ("x-real-ip", forwarded),
            ("forwarded", "for=192.0.2.1"),
        ];
        let request = app.send_raw(Method::POST, LOGIN, &headers, body.into_bytes());
        let reply = refused(&app.data_dir(), label, 429, "rate_limited", request).await;
        let retry: u64 = reply
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=900).contains(&retry), "{label}: {retry}");
    }
}

#[tokio::test]
async fn registrations_are_throttled_per_client_whatever_forwarded_for_says() {
    let app = TestApp::new();
    for i in 0..10 {
        app.register(&format!("user{i}")).await;
    }
    let body = account("eleventh", "eleventh@example.com", PASSWORD).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("x-forwarded-for", "198.51.100.1"),
    ];
    let request = app.send_raw(Method::POST, REGISTER, &headers, body.into_bytes());
    refused(
        &app.data_dir(),
        "11th registration, new X-Forwarded-For",
        429,
        "rate_limited",
        request,
    )
    .await;
}

fn login_from(server: &Server, forwarded: &str, password: &str) -> RawReply {
    let body = json!({"username": "alice", "password": password}).to_string();
    let header = format!("X-Forwarded-For: {forwarded}");
    raw_json(&server.base, "POST", LOGIN, &[&header], &body)
}

/// Ten failures from one client, then the answer to `forwarded` with the right password.
fn after_ten_failures(server: &Server, forwarded: &str) -> RawReply {
    for i in 0..10 {
        let reply = login_from(server, &format!("203.0.113.{i}"), "wrong wrong wrong");
        assert_eq!(
            (reply.status, reply.code()),
            (401, "invalid_credentials".into())
        );
    }
    login_from(server, forwarded, PASSWORD)
}

#[test]
fn forwarded_for_is_believed_only_from_a_configured_trusted_proxy() {
    // No trusted proxy: the ten failures all count against the socket peer, so a new
    // X-Forwarded-For is still throttled.
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&dir.path().join("data"));
    server.register("alice", PASSWORD);
    let before = World::of(&server.data);
    let reply = after_ten_failures(&server, "198.51.100.1");
    assert_eq!(
        (reply.status, reply.code()),
        (429, "rate_limited".into()),
        "untrusted peer"
    );
    assert!(reply.head.contains("retry-after:"), "{}", reply.head);
    assert!(
        World::of(&server.data) == before,
        "throttled logins change nothing"
    );
    drop(server);

    // 127.0.0.1 is a trusted proxy: each X-Forwarded-For client is its own bucket, so
    // another client with the right password gets in, and the failing one stays throttled.
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("hoard.toml");
    std::fs::write(&config, "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n").expect("config");
    let server = Server::start_with_config(&dir.path().join("data"), &config);
    server.register("alice", PASSWORD);
    let reply = after_ten_failures(&server, "198.51.100.1");
    assert_eq!(
        reply.status, 200,
        "another client behind the proxy: {:?}",
        reply.body
    );
    let mut throttled = 0;
    for _ in 0..10 {
        let reply = login_from(&server, "203.0.113.250", "wrong wrong wrong");
        throttled += usize::from(reply.status == 429);
    }
    let reply = login_from(&server, "203.0.113.250", PASSWORD);
    assert_eq!(
        (reply.status, reply.code(), throttled),
        (429, "rate_limited".into(), 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_refreshes_and_a_logout_race_for_one_family_without_leaving_two_heirs() {
    let app = Arc::new(TestApp::new());
    let alice = app.register("alice").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (app, alice) = (app.clone(), alice.clone());
        tasks.push(tokio::spawn(async move {
            if i == 8 {
                let body = json!({"refresh_token": alice.refresh});
                return app
                    .post("/api/v1/auth/logout", Some(&alice.access), body)
                    .await;
            }
            refresh(&app, &alice.refresh).await
        }));
    }
    let mut heirs = Vec::new();
    for task in tasks {
        let reply = task.await.expect("task");
        match reply.status.as_u16() {
            200 => heirs.push(
                reply.json()["refresh_token"]
                    .as_str()
                    .expect("token")
                    .to_owned(),
            ),
            204 => {}
            _ => reply.assert_error(401, "token_revoked"),
        }
    }
    assert!(heirs.len() <= 1, "{} heirs", heirs.len());
    // Logout and reuse detection both end the family: no heir outlives the race.
    for heir in heirs {
        refresh(&app, &heir)
            .await
            .assert_error(401, "token_revoked");
    }
    me(&app, &alice.access)
        .await
        .assert_error(401, "token_revoked");
}
