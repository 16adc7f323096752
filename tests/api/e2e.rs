//! The real `hoard` binary on a free loopback port, driven by curl: the README's flows,
//! login throttling by client address, and what reaches the log.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{NEW_PASSWORD, PASSWORD};

/// A running server, stopped (by PID) when dropped.
struct Server {
    child: Child,
    base: String,
    _dir: TempDir,
}

impl Server {
    fn start(extra_config: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::write(dir.path().join("hoard.toml"), extra_config).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hoard"))
            .args([
                "--config",
                "hoard.toml",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "serve",
            ])
            .current_dir(dir.path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if curl(&self.base, &["/health"]).0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become healthy");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server with SIGTERM and returns its exit status success and its log.
    fn stop(mut self) -> (bool, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        (status.success(), log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs curl against `base` + the first arg; returns (status, body).
fn curl(base: &str, args: &[&str]) -> (u16, String) {
    let (path, rest) = args.split_first().unwrap();
    let output = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}"])
        .args(rest)
        .arg(format!("{base}{path}"))
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
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

fn register(server: &Server, username: &str) -> Value {
    let body = json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD});
    let (status, reply) = json_post(server, "/api/v1/auth/register", &body, &[]);
    assert_eq!(status, 201, "{reply}");
    reply
}

#[test]
fn the_readme_flow_works_over_real_http() {
    let server = Server::start("");
    let registered = register(&server, "alice");
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
    let server = Server::start("[server]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    register(&server, "alice");
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
    let server = Server::start("");
    register(&server, "alice");
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
    let server = Server::start("[auth]\nlogin_failures_per_ip = 5\n");
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
    let server = Server::start("[auth]\nregistrations_per_ip_per_hour = 2\n");
    register(&server, "first");
    register(&server, "second");
    let body = json!({"username": "third", "email": "third@example.com", "password": PASSWORD});
    let (status, reply) = json_post(&server, "/api/v1/auth/register", &body, &[]);
    assert_eq!(
        (status, reply["code"].as_str()),
        (429, Some("rate_limited"))
    );
}

/// The shell lines between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the README.
fn readme_block(readme: &str, name: &str) -> String {
    let start = readme
        .find(&format!("<!-- {name}:start -->"))
        .expect("start marker");
    let end = readme
        .find(&format!("<!-- {name}:end -->"))
        .expect("end marker");
    readme[start..end]
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readme_tus_example_uploads_in_two_patches_verbatim() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let server = Server::start("");
    let session = register(&server, "alice")["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let work = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .args([
            "-euo",
            "pipefail",
            "-c",
            &readme_block(&readme, "readme-tus"),
        ])
        .current_dir(work.path())
        .env("HOARD", &server.base)
        .env("ACCESS", &session)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let script = readme_block(&readme, "readme-flow");
    assert!(
        Command::new("jq")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "the README examples use jq: install it (apt-get install jq)"
    );
    let server = Server::start("");
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("HOARD", &server.base)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
