//! The real `hoard` binary on a free loopback port, driven by curl: the README's flows,
//! login throttling by client address, and what reaches the log.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{NEW_PASSWORD, PASSWORD};
use crate::support::docs;
use crate::support::server::{self, Server};

/// `hoard serve` with `extra_config` as its `hoard.toml`, on a fresh data dir.
fn start(extra_config: &str) -> (TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hoard.toml");
    std::fs::write(&config, extra_config).unwrap();
    let server = Server::start_with_config(&dir.path().join("data"), &config);
    (dir, server)
}

/// Runs curl against `base` + the first arg; returns (status, body).
fn curl(base: &str, args: &[&str]) -> (u16, String) {
    let (path, rest) = args.split_first().unwrap();
    let url = format!("{base}{path}");
    let (status, body) = server::curl(&[rest, &[url.as_str()]].concat());
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn json_post(server: &Server, path: &str, body: &Value, extra: &[&str]) -> (u16, Value) {
    let body = body.to_string();
    let mut args = vec![
        path,
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
    ];
    args.extend_from_slice(extra);
    let (status, text) = curl(&server.base, &args);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn login_from(server: &Server, username: &str, password: &str, ip: &str) -> (u16, Value) {
    let forwarded = format!("X-Forwarded-For: {ip}");
    json_post(
        server,
        "/api/v1/auth/login",
        &json!({"username": username, "password": password}),
        &["-H", &forwarded],
    )
}

#[test]
fn the_readme_flow_works_over_real_http() {
    let (_dir, server) = start("");
    let registered = server.register("alice", PASSWORD);
    assert_eq!(registered["user"]["role"], "admin");

    let (status, login) = json_post(
        &server,
        "/api/v1/auth/login",
        &json!({"username": "alice", "password": PASSWORD}),
        &[],
    );
    assert_eq!(status, 200, "{login}");
    let access = login["tokens"]["access_token"].as_str().unwrap().to_owned();
    let refresh = login["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Authorization: Bearer {access}");
    let (status, me) = curl(&server.base, &["/api/v1/users/me", "-H", &bearer]);
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<Value>(&me).unwrap()["last_login_at"].is_string());

    let (status, tokens) = json_post(
        &server,
        "/api/v1/auth/refresh",
        &json!({ "refresh_token": refresh }),
        &[],
    );
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Authorization: Bearer {access}");
    let (status, _) = curl(
        &server.base,
        &["/api/v1/auth/logout", "-X", "POST", "-H", &bearer],
    );
    assert_eq!(status, 204);
    let (status, body) = curl(&server.base, &["/api/v1/users/me", "-H", &bearer]);
    assert_eq!(status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["code"],
        "token_revoked"
    );

    let (clean_exit, log) = server.stop();
    assert!(clean_exit, "SIGTERM stops the server cleanly");
    for secret in [PASSWORD, access.as_str(), refresh.as_str()] {
        assert!(
            !log.contains(secret),
            "the log never holds passwords or tokens"
        );
    }
    assert!(
        log.contains("/api/v1/users/me") && log.contains("status=401"),
        "one line per request: {log}"
    );
}

#[test]
fn failed_logins_are_throttled_per_account_and_address_not_locked_out() {
    let (_dir, server) = start("[server]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    server.register("alice", PASSWORD);
    for _ in 0..10 {
        assert_eq!(
            login_from(&server, "alice", NEW_PASSWORD, "203.0.113.5").0,
            401
        );
    }
    let output = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-H",
            "X-Forwarded-For: 203.0.113.5",
        ])
        .args([
            "-d",
            &json!({"username": "alice", "password": PASSWORD}).to_string(),
        ])
        .arg(server.url("/api/v1/auth/login"))
        .output()
        .unwrap();
    let reply = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(
        reply.starts_with("http/1.1 429"),
        "right password while throttled is 429: {reply}"
    );
    let retry_after = reply
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .expect("Retry-After header");
    assert!((1..=900).contains(&retry_after.trim().parse::<u64>().unwrap()));
    assert!(reply.contains("\"code\":\"rate_limited\""));

    let (status, _) = login_from(&server, "alice", PASSWORD, "198.51.100.7");
    assert_eq!(
        status, 200,
        "the right password from another address still works"
    );
}

#[test]
fn a_rotating_forwarded_header_does_not_reset_the_throttle_without_a_trusted_proxy() {
    let (_dir, server) = start("");
    server.register("alice", PASSWORD);
    for n in 0..10 {
        assert_eq!(
            login_from(&server, "alice", NEW_PASSWORD, &format!("192.0.2.{n}")).0,
            401
        );
    }
    let (status, body) = login_from(&server, "alice", PASSWORD, "192.0.2.200");
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
}

#[test]
fn one_address_failing_across_many_accounts_is_throttled() {
    let (_dir, server) = start("[auth]\nlogin_failures_per_ip = 5\n");
    for n in 0..5 {
        assert_eq!(
            login_from(&server, &format!("ghost{n}"), PASSWORD, "-").0,
            401
        );
    }
    let (status, body) = login_from(&server, "ghost99", PASSWORD, "-");
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
}

#[test]
fn registration_is_throttled_per_address() {
    let (_dir, server) = start("[auth]\nregistrations_per_ip_per_hour = 2\n");
    server.register("first", PASSWORD);
    server.register("second", PASSWORD);
    let body = json!({"username": "third", "email": "third@example.com", "password": PASSWORD});
    let (status, reply) = json_post(&server, "/api/v1/auth/register", &body, &[]);
    assert_eq!(
        (status, reply["code"].as_str()),
        (429, Some("rate_limited"))
    );
}

/// Runs a README block (`support::docs::run_block`).
fn run_readme_block(name: &str, cwd: Option<&Path>, env: &[(&str, &str)]) -> String {
    docs::run_block("README.md", name, cwd, env)
}

#[test]
fn the_readme_tus_example_uploads_in_two_patches_verbatim() {
    let (_dir, server) = start("");
    let session = server.register("alice", PASSWORD)["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let work = tempfile::tempdir().unwrap();
    let env = [("HOARD", server.base.as_str()), ("ACCESS", &session)];
    let stdout = run_readme_block("readme-tus", Some(work.path()), &env);
    let status: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let upload = &status["items"][0];
    assert_eq!(
        (upload["status"].as_str(), upload["offset"].as_i64()),
        (Some("completed"), Some(3_000_000))
    );
    let file_id = upload["file_id"].as_i64().unwrap();
    let downloaded = work.path().join("downloaded.bin");
    let fetched = Command::new("curl")
        .args(["-sf", "-o"])
        .arg(&downloaded)
        .arg(format!("{}/api/v1/files/{file_id}/download", server.base))
        .args(["-H", &format!("Authorization: Bearer {session}")])
        .status()
        .unwrap();
    assert!(fetched.success());
    assert_eq!(
        std::fs::read(&downloaded).unwrap(),
        std::fs::read(work.path().join("big.bin")).unwrap()
    );
}

#[test]
fn the_readme_curl_examples_run_verbatim() {
    assert!(
        Command::new("jq")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the README examples use jq: install it (apt-get install jq)"
    );
    let (_dir, server) = start("");
    let stdout = run_readme_block("readme-flow", None, &[("HOARD", &server.base)]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains("\"role\":\"admin\"")),
        "register answered: {stdout}"
    );
    assert!(
        lines.iter().any(|l| l.contains("\"last_login_at\":\"")),
        "users/me answered: {stdout}"
    );
    assert_eq!(
        lines.iter().rev().nth(1),
        Some(&"204"),
        "logout answered 204: {stdout}"
    );
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["code"], "token_revoked");
}
