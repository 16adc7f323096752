//! What the fault tests ask of a real server beyond tests/support/server.rs: JSON calls,
//! uploads, the whole visible tree, `hoard check`, and the data dir's blob files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use crate::support::random::sha256_hex;
use crate::support::random::write_random;
use crate::support::server::{hoard_command, Server};

/// A password that passes the strength policy.
pub const PASSWORD: &str = "Fault-injection-keeps-42!";

/// One file as the client saw it acknowledged.
#[derive(Debug, Clone)]
pub struct Acked {
    pub id: u64,
    pub sha256: String,
    pub size: u64,
}

impl Server {
    /// A JSON request: (status, body).
    pub fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = body.to_string();
        self.json(path, &json_args(method, &body))
    }

    /// A user made by the admin, with `count` files of `size` bytes (seeds from `seed`)
    /// uploaded as that user: (id, token, files).
    pub fn user_with_files(
        &mut self,
        name: &str,
        count: u64,
        size: u64,
        seed: u64,
    ) -> (u64, String, Vec<Acked>) {
        let (id, token) = self.add_user(name);
        let admin = std::mem::replace(&mut self.token, token.clone());
        let upload = |n| {
            self.upload(&format!("/{name}-{n}.bin"), size, seed + n)
                .1
                .unwrap()
        };
        let files = (0..count).map(upload).collect();
        self.token = admin;
        (id, token, files)
    }

    /// `PUT /files/by-path` of a local file; the entry when it was acknowledged.
    pub fn put_file(&self, file: &Path, path: &str) -> (u16, Value) {
        let route = format!("/api/v1/files/by-path?path={path}");
        self.json(&route, &["-T", file.to_str().unwrap()])
    }

    /// Writes `size` seeded bytes next to the data dir and uploads them to `path`.
    pub fn upload(&self, path: &str, size: u64, seed: u64) -> (u16, Option<Acked>) {
        let local = tempfile::NamedTempFile::new().unwrap();
        let sha256 = write_random(local.path(), size, seed);
        let (status, entry) = self.put_file(local.path(), path);
        let acked = (200..300).contains(&status).then(|| Acked {
            id: entry["id"].as_u64().unwrap(),
            sha256,
            size,
        });
        (status, acked)
    }

    /// Every live file whose name contains `.bin` (the whole tree, trash excluded).
    pub fn live_files(&self) -> Vec<Value> {
        let (status, list) = self.json("/api/v1/files?q=.bin&limit=1000", &[]);
        assert_eq!(status, 200, "{list}");
        list["items"].as_array().unwrap().clone()
    }

    /// The ids in my trash.
    pub fn trash_ids(&self) -> Vec<u64> {
        let (status, list) = self.json("/api/v1/trash?limit=1000", &[]);
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap();
        items.iter().map(|e| e["id"].as_u64().unwrap()).collect()
    }

    pub fn storage_used(&self) -> u64 {
        let (status, me) = self.json("/api/v1/users/me", &[]);
        assert_eq!(status, 200, "{me}");
        me["storage_used"].as_u64().unwrap()
    }

    /// The sha256 of a file's download, and its status.
    pub fn download_sha(&self, id: u64) -> (u16, String) {
        let (status, body) = self.call(&format!("/api/v1/files/{id}/download"), &[]);
        (status, sha256_hex(&body))
    }

    /// Creates a user through the admin API and returns (id, a server handle with its token).
    pub fn add_user(&self, name: &str) -> (u64, String) {
        let body =
            json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD});
        let (status, user) = self.send("POST", "/api/v1/users", body);
        assert_eq!(status, 201, "{user}");
        let login = json!({"username": name, "password": PASSWORD});
        let (status, reply) = self.send("POST", "/api/v1/auth/login", login);
        assert_eq!(status, 200, "{reply}");
        let token = reply["tokens"]["access_token"].as_str().unwrap().to_owned();
        (user["id"].as_u64().unwrap(), token)
    }

    /// A throttled curl in the background (`rate` as curl's `--limit-rate`).
    pub fn slow(&self, rate: &str, args: &[&str], path: &str) -> Child {
        let mut curl = Command::new("curl");
        curl.args(["-sS", "-m", "120", "-o", "/dev/null", "-H", &self.auth()]);
        curl.args(["--limit-rate", rate])
            .args(args)
            .arg(self.url(path));
        curl.stderr(Stdio::null()).spawn().unwrap()
    }

    /// Creates a tus upload of `size` bytes named `name`; its path.
    pub fn tus_create(&self, name: &str, size: u64) -> String {
        let meta = format!("Upload-Metadata: filename {}", base64(name.as_bytes()));
        let out = Command::new("curl")
            .args(["-sS", "-D", "-", "-o", "/dev/null", "-X", "POST"])
            .args([
                "-H",
                "Tus-Resumable: 1.0.0",
                "-H",
                &meta,
                "-H",
                &self.auth(),
            ])
            .args(["-H", &format!("Upload-Length: {size}")])
            .arg(self.url("/api/v1/uploads"))
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&out.stdout).into_owned();
        let location = head.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
        location.unwrap_or_else(|| panic!("no Location: {head}"))
    }

    /// `hoard check [ARGS]`: (exit code, stdout lines sorted).
    pub fn check(&self, args: &[&str]) -> (i32, Vec<String>) {
        hoard_check(&self.data, args)
    }
}

pub fn hoard_check(data: &Path, args: &[&str]) -> (i32, Vec<String>) {
    let out = hoard_command(data)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = stdout.lines().map(Into::into).collect();
    lines.sort();
    (out.status.code().unwrap_or(-1), lines)
}

#[track_caller]
pub fn assert_consistent(server: &Server) {
    assert_eq!(server.check(&[]), (0, vec!["consistent".to_owned()]));
}

pub fn blob_path(data: &Path, sha: &str) -> PathBuf {
    data.join("blobs")
        .join(&sha[0..2])
        .join(&sha[2..4])
        .join(sha)
}

/// Polls until a `tmp/*.part` file is seen growing: an upload body is mid-stream.
pub fn wait_for_growing_part(data: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = std::collections::HashMap::new();
    while Instant::now() < deadline {
        let entries = fs::read_dir(data.join("tmp")).unwrap().flatten();
        for entry in entries.filter(|e| e.path().extension() == Some("part".as_ref())) {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            match seen.insert(entry.path(), size) {
                Some(before) if size > before && before > 0 => return,
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no growing .part file in {}", data.join("tmp").display());
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The answers of `count` requests sent at once from as many threads.
pub fn at_once<T: Send, F>(count: usize, request: F) -> Vec<T>
where
    F: Fn(usize) -> T + Sync,
{
    std::thread::scope(|scope| {
        let request = &request;
        let handles: Vec<_> = (0..count)
            .map(|n| scope.spawn(move || request(n)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// A JSON request that also reads the headers: (status, Retry-After, body text).
pub fn send_seeing_headers(
    server: &Server,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Option<String>, String) {
    let body = body.to_string();
    seeing_headers(server, &json_args(method, &body), path)
}

/// A request with `args` (and the token) that also reads the headers: (status,
/// Retry-After, body text).
pub fn seeing_headers(server: &Server, args: &[&str], path: &str) -> (u16, Option<String>, String) {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-m",
            "60",
            "-D",
            "-",
            "-o",
            "-",
            "-H",
            &server.auth(),
        ])
        .args(args)
        .arg(server.url(path))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut rest = text.as_str();
    // Interim `100 Continue` heads come first when curl sent `Expect: 100-continue`.
    while rest.starts_with("HTTP/1.1 100") {
        rest = rest.split_once("\r\n\r\n").map_or("", |(_, after)| after);
    }
    let (head, body) = rest.split_once("\r\n\r\n").unwrap_or((rest, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let retry = head.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        key.eq_ignore_ascii_case("retry-after")
            .then(|| value.trim().to_owned())
    });
    (status.unwrap_or(0), retry, body.to_owned())
}

/// curl arguments for a JSON request.
fn json_args<'a>(method: &'a str, body: &'a str) -> [&'a str; 6] {
    [
        "-X",
        method,
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
    ]
}

/// SIGKILL by PID, leaving the process to be reaped by `Server::restart`.
pub fn sigkill(server: &Server) {
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-9", &pid]).status().unwrap();
    assert!(killed.success());
}
