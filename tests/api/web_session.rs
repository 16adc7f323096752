//! The web UI's session: HttpOnly, SameSite=Strict cookies accepted by the same
//! authentication as bearer tokens, with a CSRF check on cookie-authenticated writes (SPEC §8).

use poem::http::Method;
use serde_json::json;

use crate::helpers::*;

/// The cookies a web login set, as `name -> full Set-Cookie value`.
struct Jar {
    access: String,
    refresh: String,
    csrf: String,
    set_cookie: Vec<String>,
}

impl Jar {
    fn from(reply: &Reply) -> Self {
        let set_cookie: Vec<String> = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let value = |name: &str| {
            set_cookie
                .iter()
                .find_map(|c| c.strip_prefix(&format!("{name}=")))
                .map(|rest| rest.split(';').next().unwrap().to_owned())
                .unwrap_or_default()
        };
        Self {
            access: value("hoard_access"),
            refresh: value("hoard_refresh"),
            csrf: value("hoard_csrf"),
            set_cookie,
        }
    }

    fn header(&self) -> String {
        format!(
            "hoard_access={}; hoard_refresh={}; hoard_csrf={}",
            self.access, self.refresh, self.csrf
        )
    }
}

async fn web_login(app: &TestApp) -> Jar {
    let reply = app
        .send_raw(
            Method::POST,
            "/api/v1/auth/web/login",
            &[("content-type", "application/json")],
            json!({"username": "alice", "password": PASSWORD})
                .to_string()
                .into_bytes(),
        )
        .await;
    reply.assert_status(200);
    assert_eq!(reply.json()["username"], "alice");
    assert!(
        reply.json().get("tokens").is_none(),
        "no token in a body a script can read"
    );
    Jar::from(&reply)
}

async fn with_cookies(
    app: &TestApp,
    method: Method,
    path: &str,
    jar: &Jar,
    csrf: Option<&str>,
) -> Reply {
    let cookie = jar.header();
    let mut headers = vec![
        ("cookie", cookie.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(token) = csrf {
        headers.push(("x-csrf-token", token));
    }
    app.send_raw(method, path, &headers, b"{}".to_vec()).await
}

#[tokio::test]
async fn a_web_login_sets_httponly_strict_cookies_and_no_token_in_the_body() {
    let app = TestApp::new();
    app.register("alice").await;
    let jar = web_login(&app).await;
    let find = |name: &str| {
        jar.set_cookie
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap()
            .clone()
    };
    let access = find("hoard_access");
    assert!(
        access.contains("HttpOnly")
            && access.contains("SameSite=Strict")
            && access.contains("Path=/;")
    );
    assert!(access.contains("Max-Age=3600"));
    let refresh = find("hoard_refresh");
    assert!(refresh.contains("HttpOnly") && refresh.contains("Path=/api/v1/auth/web;"));
    let csrf = find("hoard_csrf");
    assert!(
        !csrf.contains("HttpOnly"),
        "the UI reads the CSRF cookie to echo it"
    );
    assert!(!access.contains("Secure"), "plain HTTP on loopback");
    assert_eq!(jar.csrf.len(), 43);
}

#[tokio::test]
async fn the_session_cookie_authenticates_reads_and_csrf_checked_writes() {
    let app = TestApp::new();
    app.register("alice").await;
    let jar = web_login(&app).await;
    let me = with_cookies(&app, Method::GET, "/api/v1/users/me", &jar, None).await;
    me.assert_status(200);
    assert_eq!(me.json()["username"], "alice");

    let folder = |name: &str| json!({"name": name}).to_string().into_bytes();
    let cookie = jar.header();
    let post = |headers: Vec<(&'static str, String)>, name: &'static str| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let mut all: Vec<(&str, String)> = vec![
                ("cookie", cookie),
                ("content-type", "application/json".to_owned()),
            ];
            all.extend(headers);
            let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.send_raw(Method::POST, "/api/v1/folders", &refs, folder(name))
                .await
        }
    };
    post(vec![], "a").await.assert_error(403, "csrf_failed");
    post(vec![("x-csrf-token", "wrong".into())], "b")
        .await
        .assert_error(403, "csrf_failed");
    let good = ("x-csrf-token", jar.csrf.clone());
    post(
        vec![good.clone(), ("origin", "https://evil.example".into())],
        "c",
    )
    .await
    .assert_error(403, "csrf_failed");
    post(vec![good], "d").await.assert_status(201);
    let listed = app
        .get(
            "/api/v1/files",
            Some(&app.login_ok("alice", PASSWORD).await.access),
        )
        .await
        .json();
    assert_eq!(listed["total"], 1, "only the CSRF-checked write happened");
}

#[tokio::test]
async fn web_refresh_rotates_the_cookies_and_a_replayed_refresh_cookie_is_revoked() {
    let app = TestApp::new();
    app.register("alice").await;
    let jar = web_login(&app).await;
    with_cookies(&app, Method::POST, "/api/v1/auth/web/refresh", &jar, None)
        .await
        .assert_error(403, "csrf_failed");
    let rotated = with_cookies(
        &app,
        Method::POST,
        "/api/v1/auth/web/refresh",
        &jar,
        Some(&jar.csrf),
    )
    .await;
    rotated.assert_status(200);
    let next = Jar::from(&rotated);
    assert_ne!(next.refresh, jar.refresh);
    with_cookies(&app, Method::GET, "/api/v1/users/me", &next, None)
        .await
        .assert_status(200);
    with_cookies(
        &app,
        Method::POST,
        "/api/v1/auth/web/refresh",
        &jar,
        Some(&jar.csrf),
    )
    .await
    .assert_error(401, "token_revoked");
    with_cookies(&app, Method::GET, "/api/v1/users/me", &next, None)
        .await
        .assert_error(401, "token_revoked");
}

#[tokio::test]
async fn web_logout_revokes_the_session_and_clears_the_cookies() {
    let app = TestApp::new();
    app.register("alice").await;
    let jar = web_login(&app).await;
    with_cookies(&app, Method::POST, "/api/v1/auth/web/logout", &jar, None)
        .await
        .assert_error(403, "csrf_failed");
    let out = with_cookies(
        &app,
        Method::POST,
        "/api/v1/auth/web/logout",
        &jar,
        Some(&jar.csrf),
    )
    .await;
    out.assert_status(204);
    let cleared = Jar::from(&out);
    assert!(
        cleared.set_cookie.iter().all(|c| c.contains("Max-Age=0")),
        "{:?}",
        cleared.set_cookie
    );
    assert_eq!(cleared.access, "");
    with_cookies(&app, Method::GET, "/api/v1/users/me", &jar, None)
        .await
        .assert_error(401, "token_revoked");
}

#[tokio::test]
async fn a_bearer_header_wins_over_the_cookie_and_cookies_open_file_bytes() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let jar = web_login(&app).await;
    let cookie = jar.header();
    let bearer = format!("Bearer {}", bob.access);
    let me = app
        .send_raw(
            Method::GET,
            "/api/v1/users/me",
            &[("cookie", &cookie), ("authorization", &bearer)],
            vec![],
        )
        .await;
    assert_eq!(me.json()["username"], "bob");

    let put = app
        .send_raw(
            Method::PUT,
            "/api/v1/files/by-path?path=/a.txt",
            &[("authorization", &format!("Bearer {}", alice.access))],
            b"hello".to_vec(),
        )
        .await;
    put.assert_status(201);
    let id = put.json()["id"].as_i64().unwrap();
    let content = app
        .send_raw(
            Method::GET,
            &format!("/api/v1/files/{id}/content"),
            &[("cookie", &cookie)],
            vec![],
        )
        .await;
    content.assert_status(200);
    assert_eq!(content.body, b"hello");
}
