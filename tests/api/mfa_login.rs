//! Tests: with two-step sign-in on, the password opens only the two-step login — WebDAV
//! Basic and scripts need personal API tokens — and wrong codes are throttled.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};
use crate::mfa_helpers::{enable_totp, first_step, second_step};

async fn propfind(app: &TestApp, user: &str, secret: &str) -> crate::helpers::Reply {
    let auth = format!("Basic {}", STANDARD.encode(format!("{user}:{secret}")));
    let headers = [("authorization", auth.as_str()), ("depth", "0")];
    let method = Method::from_bytes(b"PROPFIND").unwrap();
    app.send_raw(method, "/dav/", &headers, Vec::new()).await
}

#[tokio::test]
async fn the_password_alone_opens_nothing_but_api_tokens_still_work() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let token = app
        .post(
            "/api/v1/auth/tokens",
            Some(&alice.access),
            json!({"name": "backup script"}),
        )
        .await;
    token.assert_status(201);
    let token = token.json()["token"].as_str().unwrap().to_owned();
    // Remembered as a verified WebDAV password before two-step sign-in is turned on...
    assert_eq!(propfind(&app, "alice", PASSWORD).await.status, 207);
    enable_totp(&app, &alice).await;
    // ...and refused at once after, saying what to use instead.
    let refused = propfind(&app, "alice", PASSWORD).await;
    refused.assert_error(401, "invalid_credentials");
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("API token"));
    assert!(refused.header("www-authenticate").is_some());
    assert_eq!(propfind(&app, "alice", &token).await.status, 207);
    app.get("/api/v1/files", Some(&token))
        .await
        .assert_status(200);
    // The API login gives no tokens for the password alone.
    let login = app.login("alice", PASSWORD).await;
    assert!(login.json().get("tokens").is_none());
}

#[tokio::test]
async fn the_web_login_sets_cookies_only_after_the_second_step() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, _, [current, _]) = enable_totp(&app, &alice).await;
    let first = app
        .post(
            "/api/v1/auth/web/login",
            None,
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    first.assert_status(200);
    assert!(first.headers.get_all("set-cookie").iter().next().is_none());
    let body = first.json();
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    let token = body["mfa_token"].as_str().unwrap();
    let second = app
        .post(
            "/api/v1/auth/web/login/mfa",
            None,
            json!({"mfa_token": token, "code": current}),
        )
        .await;
    second.assert_status(200);
    assert_eq!(second.json()["username"], json!("alice"));
    let cookies: Vec<&str> = second
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for name in ["hoard_access=", "hoard_refresh=", "hoard_csrf="] {
        assert!(
            cookies.iter().any(|c| c.starts_with(name)),
            "{name}: {cookies:?}"
        );
    }
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let app = TestApp::with_config(|c| c.auth.login_failures_per_account = 3);
    let alice = app.register("alice").await;
    let (_, _, [current, _]) = enable_totp(&app, &alice).await;
    let token = first_step(&app, "alice").await;
    let wrong = if current == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..3 {
        second_step(&app, &token, wrong)
            .await
            .assert_error(401, "invalid_code");
    }
    // Throttled now, even with the right code.
    let limited = second_step(&app, &token, &current).await;
    limited.assert_error(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
}
