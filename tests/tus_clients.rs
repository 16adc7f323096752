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

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use support::node::ensure_node_modules;
use support::random::{sha256_of, write_random, MIB};
use support::server::{hoard_command, Server};

const PASSWORD: &str = "Tus-clients-resume-42!";

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("tus")
        .join(name)
}

// ---------------------------------------------------------------------------------------
// The server: what these tests ask of it beyond tests/support/server.rs
// ---------------------------------------------------------------------------------------

impl Server {
    fn endpoint(&self) -> String {
        format!("{}/api/v1/uploads", self.base)
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
        let out = hoard_command(&self.data).arg("check").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    }
}

// ---------------------------------------------------------------------------------------
// Upload URLs
// ---------------------------------------------------------------------------------------

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

/// `python3` can `import tusclient`; installs `tuspy` with pip once when it cannot.
fn ensure_tuspy() {
    support::python::ensure_module("tusclient", "tuspy");
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
    let (dir, server) = Server::fresh("tuspy_user", PASSWORD);
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
    let (dir, mut server) = Server::fresh("crash_user", PASSWORD);
    let (size, chunk) = (20 * MIB, 4 * MIB);
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 2);
    let name = "crash-20m.bin";

    let started = tuspy_start(&server, &source, chunk, 2, name);
    assert_eq!(started["offset"], 2 * chunk, "{started}");
    let id = upload_id(started["url"].as_str().unwrap());

    // Killed between two PATCHes: what was acknowledged (204 with the offset) survives.
    server.restart();
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
    server.restart();
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
    ensure_node_modules(18, "tus-js-client tests");
    let (dir, server) = Server::fresh("tusjs_user", PASSWORD);
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
    ensure_node_modules(18, "tus-js-client tests");
    let (dir, server) = Server::fresh("tusjs_cwu", PASSWORD);
    let size = 3 * MIB + 7;
    let source = dir.path().join("source.bin");
    let sha = write_random(&source, size, 4);
    let name = "creation-with-upload.bin";

    let done = tus_js_mode(&server, &source, MIB, name, None, "creation-with-upload");
    assert_eq!(done["bytes"], size, "{done}");
    let id = upload_id(done["url"].as_str().unwrap());
    assert_committed(&server, id, name, size, &sha, dir.path());
}
