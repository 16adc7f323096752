//! Stock tus clients against the real `hoard` binary's `/api/v1/uploads` (SPEC §6, §9):
//! tuspy (PyPI) interrupted and resumed by a second process, a SIGKILLed and restarted
//! server between PATCHes and during one, and tus-js-client (npm, Node) into a folder.
//! Black-box: only HTTP, the tus headers and the SPEC's JSON shapes.
//!
//! Prerequisites (`.ci/run` installs them): curl, python3 with `tuspy` (installed here with
//! pip when `import tusclient` fails), Node.js ≥ 18 with npm (`npm ci` in tests/ui when its
//! node_modules is missing or stale).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const MIB: u64 = 1 << 20;
const PASSWORD: &str = "Tus-clients-resume-42!";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(name: &str) -> PathBuf {
    repo().join("tests").join("tus").join(name)
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// `hoard serve` on a data dir and a free loopback port; SIGKILLed (by PID) when dropped.
struct Server {
    child: Child,
    base: String,
    data: PathBuf,
    token: String,
}

impl Server {
    fn start(data: &Path, token: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = data.with_extension(format!("{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_hoard"))
            .arg("--data-dir")
            .arg(data)
            .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
            .current_dir(data.parent().unwrap())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data: data.to_owned(),
            token: token.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while curl(&[&format!("{}/health", server.base)]).0 != 200 {
            let exited = server.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = fs::read_to_string(&log).unwrap_or_default();
                panic!("hoard did not become healthy ({exited:?}): {log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// A fresh data dir in a new temp dir, served, with a registered user `name`.
    fn fresh(name: &str) -> (TempDir, Self) {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Self::start(&dir.path().join("data"), "");
        server.token = register(&server.base, name);
        (dir, server)
    }

    /// SIGKILL by PID, as a crash would stop it, then a new server on the same data dir.
    fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let data = self.data.clone();
        *self = Self::start(&data, &self.token);
    }

    fn endpoint(&self) -> String {
        format!("{}/api/v1/uploads", self.base)
    }

    fn auth(&self) -> String {
        format!("Authorization: Bearer {}", self.token)
    }

    /// An authenticated request; (status, body).
    fn call(&self, path: &str, extra: &[&str]) -> (u16, Vec<u8>) {
        let (auth, url) = (self.auth(), format!("{}{path}", self.base));
        curl(&[&["-H", auth.as_str()], extra, &[url.as_str()]].concat())
    }

    fn json(&self, path: &str, extra: &[&str]) -> (u16, Value) {
        let (status, body) = self.call(path, extra);
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, value)
    }

    /// `GET /uploads?ids=ID` → the one item.
    fn upload_state(&self, id: u64) -> Value {
        let (status, list) = self.json(&format!("/api/v1/uploads?ids={id}"), &[]);
        assert_eq!(status, 200, "GET /api/v1/uploads?ids={id}: {list}");
        assert_eq!(list["total"], 1, "GET /api/v1/uploads?ids={id}: {list}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "GET /api/v1/uploads?ids={id}: {list}");
        assert_eq!(items[0]["id"], id, "{list}");
        items[0].clone()
    }

    /// `HEAD` of an upload as a tus client sends it: (status, Upload-Offset, Upload-Length).
    fn head(&self, id: u64) -> (u16, Option<u64>, Option<u64>) {
        let url = format!("{}/api/v1/uploads/{id}", self.base);
        let out = Command::new("curl")
            .args(["-sS", "-m", "30", "-I", "-H", "Tus-Resumable: 1.0.0"])
            .args(["-H", &self.auth(), &url])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let status = text
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let header = |name: &str| {
            text.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim().eq_ignore_ascii_case(name))
                    .then(|| value.trim().parse().ok())
                    .flatten()
            })
        };
        (status, header("upload-offset"), header("upload-length"))
    }

    /// Downloads `/files/{id}/download` to a file; returns (status, sha256 of the body, size).
    fn download_sha(&self, file_id: u64, to: &Path) -> (u16, String, u64) {
        let url = format!("{}/api/v1/files/{file_id}/download", self.base);
        let out = Command::new("curl")
            .args([
                "-sS",
                "-m",
                "120",
                "-w",
                "%{http_code}",
                "-H",
                &self.auth(),
                "-o",
            ])
            .arg(to)
            .arg(&url)
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        let (sha, size) = sha256_of(to);
        (status, sha, size)
    }

    /// `hoard check` on the data dir (safe while serving): (exit code, stdout).
    fn check(&self) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_hoard"))
            .arg("--data-dir")
            .arg(&self.data)
            .arg("check")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const STATUS: &str = "\n%{http_code}";

/// Runs curl; returns (status, body), status 0 when no response came.
fn curl(args: &[&str]) -> (u16, Vec<u8>) {
    let mut curl = Command::new("curl");
    curl.args(["-sS", "-m", "120", "-o", "-", "-w", STATUS])
        .args(args);
    let out = curl
        .output()
        .expect("curl is installed (apt-get install -y curl)");
    let split = out.stdout.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let status = String::from_utf8_lossy(&out.stdout[split..]).trim().parse();
    (status.unwrap_or(0), out.stdout[..split].to_vec())
}

/// Registers `name` and returns the access token.
fn register(base: &str, name: &str) -> String {
    let body =
        json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD});
    let url = format!("{base}/api/v1/auth/register");
    let json_type = "Content-Type: application/json";
    let (status, reply) = curl(&["-H", json_type, "-d", &body.to_string(), &url]);
    let reply: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(status, 201, "{reply}");
    reply["tokens"]["access_token"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------------------------------
// Files and hashes
// ---------------------------------------------------------------------------------------

/// Writes `size` bytes of a seeded xorshift stream (distinct seeds never dedup); returns
/// their sha256.
fn write_random(path: &Path, size: u64, seed: u64) -> String {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let (mut state, mut hasher) = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, Sha256::new());
    let (mut chunk, mut left) = (vec![0u8; MIB as usize], size);
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        out.write_all(&chunk[..n]).unwrap();
        hasher.update(&chunk[..n]);
        left -= n as u64;
    }
    out.flush().unwrap();
    hex(&hasher.finalize())
}

/// (sha256 hex, size) of a file; ("", 0) when it does not exist.
fn sha256_of(path: &Path) -> (String, u64) {
    let Ok(mut file) = File::open(path) else {
        return (String::new(), 0);
    };
    let (mut hasher, mut buf, mut size) = (Sha256::new(), vec![0u8; MIB as usize], 0u64);
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    (hex(&hasher.finalize()), size)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The integer id at the end of an upload URL, which must be `…/api/v1/uploads/{id}`.
fn upload_id(url: &str) -> u64 {
    let path = url.split_once("://").map_or(url, |(_, rest)| {
        rest.find('/').map_or("", |slash| &rest[slash..])
    });
    let id = path
        .strip_prefix("/api/v1/uploads/")
        .unwrap_or_else(|| panic!("the upload URL is /api/v1/uploads/{{id}}: {url}"));
    id.parse()
        .unwrap_or_else(|_| panic!("the upload id is an integer: {url}"))
}

// ---------------------------------------------------------------------------------------
// The clients
// ---------------------------------------------------------------------------------------

static SETUP: Mutex<()> = Mutex::new(());

/// `python3` can `import tusclient`; installs `tuspy` with pip once when it cannot.
fn ensure_tuspy() {
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let importable = || {
        Command::new("python3")
            .args(["-c", "import tusclient"])
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if importable() {
        return;
    }
    eprintln!("tus clients: installing tuspy with pip");
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "tuspy",
        ])
        .stdin(Stdio::null())
        .status()
        .expect("python3 is installed");
    assert!(
        status.success() && importable(),
        "tuspy is needed: `python3 -m pip install tuspy`"
    );
}

/// Node.js ≥ 18 and `tests/ui/node_modules` (with tus-js-client) matching its lock file.
fn ensure_node_modules() {
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let how = "install Node.js ≥ 18 and npm (Debian: `apt-get install -y nodejs npm`)";
    let version = Command::new("node")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("the tus-js-client test needs `node` ({e}): {how}"));
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(major >= 18, "node {version} is too old: {how}");
    let ui = repo().join("tests").join("ui");
    if node_modules_match_lock(&ui) {
        return;
    }
    eprintln!("tus clients: running `npm ci` in {}", ui.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&ui)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("the tus-js-client test needs `npm` ({e}): {how}"));
    assert!(status.success(), "`npm ci` in {} failed", ui.display());
}

/// Every package that `package-lock.json` lists is installed at its locked version.
fn node_modules_match_lock(ui: &Path) -> bool {
    let lock: Value =
        serde_json::from_slice(&fs::read(ui.join("package-lock.json")).unwrap()).unwrap();
    let packages = lock["packages"].as_object().unwrap();
    packages
        .iter()
        .filter(|(key, _)| key.starts_with("node_modules/"))
        .all(|(key, locked)| {
            let manifest = fs::read(ui.join(key).join("package.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
            match manifest {
                Some(manifest) => manifest["version"] == locked["version"],
                None => locked["optional"] == true,
            }
        })
}

/// A client process's one JSON line of output, or a panic with what it printed.
fn client_output(what: &str, out: Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status
    );
    let line = stdout.lines().last().unwrap_or("");
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{what} printed no JSON ({e}):\n{stdout}\n{stderr}"))
}

/// `tuspy_upload.py start`: creates an upload and sends `chunks` chunks, then exits.
fn tuspy_start(server: &Server, file: &Path, chunk: u64, chunks: u32, name: &str) -> Value {
    let out = Command::new("python3")
        .arg(script("tuspy_upload.py"))
        .args(["start", &server.endpoint(), &server.token])
        .arg(file)
        .args([&chunk.to_string(), &chunks.to_string(), name])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    client_output("tuspy (start)", out)
}

/// `tuspy_upload.py resume`: a new process that asks the offset and uploads the rest.
fn tuspy_resume(server: &Server, id: u64, file: &Path, chunk: u64) -> Value {
    let url = format!("{}/{id}", server.endpoint());
    let out = Command::new("python3")
        .arg(script("tuspy_upload.py"))
        .args(["resume", &url, &server.token])
        .arg(file)
        .arg(chunk.to_string())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    client_output("tuspy (resume)", out)
}

/// `tus_js_upload.mjs`: tus-js-client uploads `file` in `chunk`-byte PATCHes.
fn tus_js(server: &Server, file: &Path, chunk: u64, name: &str, parent: Option<u64>) -> Value {
    tus_js_mode(server, file, chunk, name, parent, "")
}

fn tus_js_mode(
    server: &Server,
    file: &Path,
    chunk: u64,
    name: &str,
    parent: Option<u64>,
    mode: &str,
) -> Value {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let out = Command::new("node")
        .arg(script("tus_js_upload.mjs"))
        .args([&server.endpoint(), &server.token])
        .arg(file)
        .args([&chunk.to_string(), name, &parent, mode])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    client_output("tus-js-client", out)
}

// ---------------------------------------------------------------------------------------
// Shared assertions
// ---------------------------------------------------------------------------------------

/// The upload is `completed` with its whole size and a `file_id`; the file is a normal
/// drive entry with that name, size and sha256, and downloads byte-identical.
fn assert_committed(
    server: &Server,
    id: u64,
    name: &str,
    size: u64,
    sha: &str,
    scratch: &Path,
) -> Value {
    let state = server.upload_state(id);
    assert_eq!(state["status"], "completed", "{state}");
    assert_eq!(state["name"], name, "{state}");
    assert_eq!(state["size"], size, "{state}");
    assert_eq!(state["offset"], size, "{state}");
    assert!(state["error"].is_null(), "{state}");
    let file_id = state["file_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("a completed upload names its file: {state}"));

    let (status, entry) = server.json(&format!("/api/v1/files/{file_id}"), &[]);
    assert_eq!(status, 200, "GET /api/v1/files/{file_id}: {entry}");
    assert_eq!(entry["kind"], "file", "{entry}");
    assert_eq!(entry["name"], name, "{entry}");
    assert_eq!(entry["size"], size, "{entry}");
    assert_eq!(entry["sha256"], sha, "{entry}");

    let (status, got_sha, got_size) = server.download_sha(file_id, &scratch.join("download"));
    assert_eq!(status, 200, "GET /api/v1/files/{file_id}/download");
    assert_eq!(got_size, size, "the download has the upload's size");
    assert_eq!(got_sha, sha, "the download is byte-identical to the source");
    entry
}

/// The names in a folder (`None`: the root).
fn names_in(server: &Server, parent: Option<u64>) -> Vec<String> {
    let path = match parent {
        Some(id) => format!("/api/v1/files?parent_id={id}"),
        None => "/api/v1/files".to_owned(),
    };
    let (status, list) = server.json(&path, &[]);
    assert_eq!(status, 200, "GET {path}: {list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

/// (a) tuspy sends 3 of 6 chunks and exits; a second tuspy process resumes from the HEAD
/// offset and finishes; the drive holds the byte-identical file.
#[test]
fn tuspy_interrupted_then_resumed_by_a_new_process() {
    ensure_tuspy();
    let (dir, server) = Server::fresh("tuspy_user");
    let (size, chunk) = (24 * MIB, 4 * MIB);
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 1);
    let name = "random-24m.bin";

    let started = tuspy_start(&server, &source, chunk, 3, name);
    assert_eq!(started["offset_at_start"], 0, "{started}");
    assert_eq!(started["offset"], 3 * chunk, "{started}");
    let id = upload_id(started["url"].as_str().unwrap());

    // Interrupted: the server holds exactly the acknowledged bytes; nothing is visible yet.
    assert_eq!(
        server.head(id),
        (204, Some(3 * chunk), Some(size)),
        "HEAD after 3 acknowledged PATCHes: (status, Upload-Offset, Upload-Length)"
    );
    let state = server.upload_state(id);
    assert!(
        state["status"] == "uploading" || state["status"] == "pending",
        "an unfinished upload is pending or uploading: {state}"
    );
    assert_eq!(state["offset"], 3 * chunk, "{state}");
    assert_eq!(state["size"], size, "{state}");
    assert_eq!(state["name"], name, "{state}");
    assert!(state["file_id"].is_null(), "{state}");
    assert!(
        !names_in(&server, None).contains(&name.to_owned()),
        "an unfinished upload is not a file yet"
    );

    let resumed = tuspy_resume(&server, id, &source, chunk);
    assert_eq!(
        resumed["offset_at_start"],
        3 * chunk,
        "resumed from HEAD: {resumed}"
    );
    assert_eq!(resumed["offset"], size, "{resumed}");

    let entry = assert_committed(&server, id, name, size, &sha, dir.path());
    assert!(
        entry["parent_id"].is_null(),
        "no parent_id: the root: {entry}"
    );
    assert_eq!(names_in(&server, None), vec![name.to_owned()]);
    assert_eq!(
        server.head(id),
        (204, Some(size), Some(size)),
        "a completed upload still answers HEAD with its whole length"
    );
}

/// (b) The server is SIGKILLed between two PATCHes and again while a PATCH is in flight;
/// each time the upload resumes from the HEAD offset, which holds every acknowledged byte,
/// and completes byte-identical; `hoard check` is clean.
#[test]
fn uploads_survive_a_server_killed_between_and_during_patches() {
    ensure_tuspy();
    let (dir, mut server) = Server::fresh("crash_user");
    let (size, chunk) = (20 * MIB, 4 * MIB);
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 2);
    let name = "crash-20m.bin";

    let started = tuspy_start(&server, &source, chunk, 2, name);
    assert_eq!(started["offset"], 2 * chunk, "{started}");
    let id = upload_id(started["url"].as_str().unwrap());

    // Killed between two PATCHes: what was acknowledged (204 with the offset) survives.
    server.crash_and_restart();
    assert_eq!(
        server.head(id),
        (204, Some(2 * chunk), Some(size)),
        "HEAD after kill -9 between PATCHes: (status, Upload-Offset, Upload-Length)"
    );
    let state = server.upload_state(id);
    assert_eq!(state["offset"], 2 * chunk, "{state}");
    assert!(state["file_id"].is_null(), "{state}");

    // Killed while the third chunk is on the wire (curl throttled to 512 KiB/s).
    let third = dir.path().join("third.bin");
    let bytes = fs::read(&source).unwrap();
    fs::write(&third, &bytes[(2 * chunk) as usize..(3 * chunk) as usize]).unwrap();
    let patch = Command::new("curl")
        .args(["-sS", "-m", "60", "-o", "/dev/null", "-X", "PATCH"])
        .args(["-H", "Tus-Resumable: 1.0.0"])
        .args(["-H", "Content-Type: application/offset+octet-stream"])
        .args(["-H", &format!("Upload-Offset: {}", 2 * chunk)])
        .args(["-H", &server.auth(), "--limit-rate", "512K"])
        .arg("--data-binary")
        .arg(format!("@{}", third.display()))
        .arg(format!("{}/api/v1/uploads/{id}", server.base))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Not an assertion: only gives the PATCH time to be partway; any moment is valid.
    std::thread::sleep(Duration::from_millis(1500));
    server.crash_and_restart();
    let mut patch = patch;
    let _ = patch.wait();

    let (status, offset, length) = server.head(id);
    assert_eq!(
        (status, length),
        (204, Some(size)),
        "HEAD after kill -9 mid-PATCH"
    );
    let offset = offset.expect("HEAD answers Upload-Offset");
    eprintln!(
        "offset after kill -9 mid-PATCH: {offset} (acknowledged before: {})",
        2 * chunk
    );
    assert!(
        (2 * chunk..=3 * chunk).contains(&offset),
        "the offset after a crash mid-PATCH keeps the acknowledged {} bytes and at most \
         what was sent: {offset}",
        2 * chunk
    );
    let state = server.upload_state(id);
    assert_eq!(
        state["offset"], offset,
        "the list agrees with HEAD: {state}"
    );

    let resumed = tuspy_resume(&server, id, &source, chunk);
    assert_eq!(resumed["offset_at_start"], offset, "{resumed}");
    assert_eq!(resumed["offset"], size, "{resumed}");
    assert_committed(&server, id, name, size, &sha, dir.path());
    assert_eq!(names_in(&server, None), vec![name.to_owned()]);

    let (code, report) = server.check();
    assert_eq!(code, 0, "hoard check after the crashes: {report}");
}

/// (c) tus-js-client (Node) uploads in 1 MiB PATCHes with `parent_id` metadata into a
/// folder; the file appears there, byte-identical, and nowhere else.
#[test]
fn tus_js_client_uploads_into_a_folder() {
    ensure_node_modules();
    let (dir, server) = Server::fresh("tusjs_user");
    let (status, folder) = server.json(
        "/api/v1/folders",
        &[
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"name":"Inbox"}"#,
        ],
    );
    assert_eq!(status, 201, "POST /api/v1/folders: {folder}");
    let folder_id = folder["id"].as_u64().unwrap();

    let size = 5 * MIB + 12_345;
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 3);
    let name = "tus-js 5m.bin";

    let done = tus_js(&server, &source, MIB, name, Some(folder_id));
    assert_eq!(done["bytes"], size, "{done}");
    let id = upload_id(done["url"].as_str().unwrap());

    let entry = assert_committed(&server, id, name, size, &sha, dir.path());
    assert_eq!(entry["parent_id"], folder_id, "{entry}");
    assert_eq!(entry["path"], format!("/Inbox/{name}"), "{entry}");
    assert_eq!(names_in(&server, Some(folder_id)), vec![name.to_owned()]);
    assert_eq!(names_in(&server, None), vec!["Inbox".to_owned()]);
}

/// tus-js-client with `uploadDataDuringCreation` (the creation-with-upload extension): the
/// first chunk travels in the POST, the rest in PATCHes.
#[test]
fn tus_js_client_creation_with_upload() {
    ensure_node_modules();
    let (dir, server) = Server::fresh("tusjs_cwu");
    let size = 3 * MIB + 7;
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 4);
    let name = "creation-with-upload.bin";

    let done = tus_js_mode(&server, &source, MIB, name, None, "creation-with-upload");
    assert_eq!(done["bytes"], size, "{done}");
    let id = upload_id(done["url"].as_str().unwrap());
    assert_committed(&server, id, name, size, &sha, dir.path());
}
