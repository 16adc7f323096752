//! Durability of the real `hoard` binary (SPEC §1, §5, §9; catalog R1, R4, R7), driven by
//! curl: kill -9 mid-upload and mid-overwrite, a full disk, `hoard check [--repair]`,
//! online backups, and memory that does not grow with the file size.
//!
//! These are the local disk's promises (temp files, blob files, a full file system), so
//! the servers here keep their blobs on the local disk on every run of the suite; the same
//! faults against the object store are in tests/s3_faults.rs.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::helpers::PASSWORD;
use crate::support::random::{hex, sha256_hex, write_random, MIB};
use crate::support::server::{hoard_command, Server};

/// A fresh data dir in a new temp dir, served, with the first account (`alice`, an admin).
fn fresh() -> (TempDir, PathBuf, Server) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = local_server(&dir.path().join("data"));
    server.sign_up("alice", PASSWORD);
    (dir, server.data.clone(), server)
}

/// `hoard serve` with its blobs on the local disk whatever the run's backend.
fn local_server(data: &Path) -> Server {
    Server::start_under(&["env", LOCAL], data, None)
}

const LOCAL: &str = "HOARD_STORAGE_BACKEND=local";

/// What these tests ask of the server beyond tests/support/server.rs.
impl Server {
    /// `PUT /files/by-path` of a local file with `curl -T`.
    fn put(&self, file: &Path, path: &str) -> (u16, Value) {
        let route = format!("/api/v1/files/by-path?path={path}");
        self.json(&route, &["-T", file.to_str().unwrap()])
    }

    /// The names at the root, in listing order.
    fn names(&self) -> Value {
        let (status, list) = self.json("/api/v1/files", &[]);
        assert_eq!(status, 200, "{list}");
        let items = list["items"].as_array().unwrap().iter();
        items.map(|e| e["name"].clone()).collect()
    }

    fn used(&self) -> i64 {
        let me = self.json("/api/v1/users/me", &[]).1;
        me["storage_used"].as_i64().unwrap()
    }

    /// A curl upload throttled to `rate`, left running in the background.
    fn slow_upload(&self, rate: &str, args: &[&str], path: &str) -> Child {
        let mut curl = Command::new("curl");
        curl.args(["-sS", "-m", "120", "-o", "/dev/null", "-H", &self.auth()]);
        curl.args(["--limit-rate", rate]).args(args);
        let url = format!("{}{path}", self.base);
        curl.arg(url).stderr(Stdio::null()).spawn().unwrap()
    }
}

/// A tmpfs mounted for one test, unmounted when dropped (after the server that uses it).
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[track_caller]
fn assert_error((status, reply): (u16, Value), expected: (u16, &str)) {
    let code = reply["code"].as_str().unwrap_or("");
    assert_eq!((status, code), expected, "{reply}");
}

/// PUTs `file` with Python's http.client, which sends the whole body before reading the
/// answer (no `Expect: 100-continue`); returns the status it got, or 0 for a reset.
fn python_put_status(server: &Server, file: &Path) -> u16 {
    let script = r#"
import http.client, os, sys
host, port, token, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection(host, port, timeout=60)
try:
    with open(path, "rb") as body:
        conn.request("PUT", "/api/v1/files/by-path?path=/py/big.bin", body=body,
                     headers={"Authorization": "Bearer " + token, "Content-Length": str(os.path.getsize(path))})
    print(conn.getresponse().status)
except OSError:
    print(0)
"#;
    let (host, port) = server
        .base
        .trim_start_matches("http://")
        .split_once(':')
        .unwrap();
    let output = Command::new("python3")
        .args(["-c", script, host, port, &server.token])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// The `*.part` files in `data/tmp`.
fn parts(data: &Path) -> Vec<PathBuf> {
    let dir = fs::read_dir(data.join("tmp")).unwrap();
    let is_part = |p: &PathBuf| p.extension() == Some("part".as_ref());
    dir.map(|e| e.unwrap().path()).filter(is_part).collect()
}

/// Polls until a `*.part` file is seen growing: an upload is mid-stream.
fn wait_for_growing_part(data: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut first = None;
    while Instant::now() < deadline {
        let part = parts(data).pop();
        let size = part.and_then(|p| fs::metadata(p).ok()).map(|m| m.len());
        match (first, size) {
            (None, Some(n)) if n > 0 => first = Some(n),
            (Some(a), Some(b)) if b > a => return,
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no growing .part file in {}", data.join("tmp").display());
}

/// Every file under `data/blobs/*/*/`.
fn blob_files(data: &Path) -> Vec<PathBuf> {
    let dirs = |path: &Path| fs::read_dir(path).unwrap().map(|e| e.unwrap().path());
    let subs = dirs(&data.join("blobs")).flat_map(|shard| dirs(&shard).collect::<Vec<_>>());
    let files = subs.flat_map(|sub| dirs(&sub).collect::<Vec<_>>());
    files.collect()
}

fn blob_path(data: &Path, sha: &str) -> PathBuf {
    let shard = data.join("blobs").join(&sha[0..2]);
    shard.join(&sha[2..4]).join(sha)
}

/// `hoard --data-dir DATA ARGS…`: (exit code, stdout lines sorted).
fn hoard(data: &Path, args: &[&str]) -> (i32, Vec<String>) {
    let (name, value) = LOCAL.split_once('=').unwrap();
    let out = hoard_command(data)
        .env(name, value)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<String> = stdout.lines().map(Into::into).collect();
    lines.sort();
    (out.status.code().unwrap_or(-1), lines)
}

#[track_caller]
fn assert_consistent(data: &Path) {
    assert_eq!(hoard(data, &["check"]), (0, vec!["consistent".to_owned()]));
}

#[test]
fn an_upload_killed_mid_stream_leaves_nothing_and_check_is_clean() {
    let (dir, data, mut server) = fresh();
    let big = dir.path().join("big.bin");
    write_random(&big, 200 * MIB, 1);
    let form = format!("file=@{}", big.display());
    let mut upload = server.slow_upload("20M", &["-F", &form], "/api/v1/files");
    wait_for_growing_part(&data);
    assert_consistent(&data); // an upload in flight is no inconsistency
    server.kill9();
    assert!(!upload.wait().unwrap().success(), "curl saw a reset");
    assert_eq!(parts(&data).len(), 1, "the kill left the partial upload");

    server.restart();
    assert_eq!(server.names(), json!([]));
    assert!(parts(&data).is_empty(), "start-up removes *.part");
    assert!(blob_files(&data).is_empty(), "no blob of it");
    assert_eq!(server.used(), 0);
    assert_consistent(&data);

    // Acknowledged = durable: a SIGKILL right after the 201 loses nothing.
    let small = dir.path().join("small.bin");
    let digest = write_random(&small, 300_000, 2);
    let form = format!("file=@{}", small.display());
    let (status, reply) = server.json("/api/v1/files", &["-F", &form]);
    assert_eq!(status, 201, "{reply}");
    server.restart();
    let download = format!("/api/v1/files/{}/download", reply["items"][0]["id"]);
    let (status, body) = server.call(&download, &[]);
    assert_eq!((status, sha256_hex(&body)), (200, digest));
    assert_eq!(server.used(), 300_000);
    assert_consistent(&data);
}

#[test]
fn an_interrupted_overwrite_keeps_the_old_content() {
    let (dir, data, mut server) = fresh();
    let (v1, v2) = (dir.path().join("v1.bin"), dir.path().join("v2.bin"));
    let v1_sha = write_random(&v1, MIB, 3);
    write_random(&v2, 64 * MIB, 4);
    let (status, created) = server.put(&v1, "/docs/report.bin");
    assert_eq!(status, 201, "{created}");
    let route = "/api/v1/files/by-path?path=/docs/report.bin";
    let mut upload = server.slow_upload("4M", &["-T", v2.to_str().unwrap()], route);
    wait_for_growing_part(&data);
    server.kill9();
    assert!(!upload.wait().unwrap().success(), "curl saw a reset");

    server.restart();
    let (status, entry) = server.json(route, &[]);
    assert_eq!(status, 200, "{entry}");
    let seen = [&entry["id"], &entry["size"], &entry["sha256"]];
    assert_eq!(seen, [&created["id"], &json!(MIB), &json!(v1_sha)]);
    let content = format!("/api/v1/files/{}/content", entry["id"]);
    let (status, body) = server.call(&content, &[]);
    assert_eq!((status, sha256_hex(&body)), (200, v1_sha.clone()));
    let versions = format!("/api/v1/files/{}/versions", entry["id"]);
    assert_eq!(
        server.json(&versions, &[]).1["total"],
        0,
        "no version of a content never committed"
    );
    assert_eq!(server.used(), MIB as i64);
    assert_eq!(blob_files(&data), vec![blob_path(&data, &v1_sha)]);
    assert_consistent(&data);
}

#[test]
fn a_full_disk_answers_507_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let small_fs = dir.path().join("small");
    fs::create_dir(&small_fs).unwrap();
    // A real full disk: a 24 MiB tmpfs (needs root and the mount syscall). Where mounting is
    // refused, the same promise is asserted through a 24 MiB quota instead (507 too).
    let tmpfs = ["-t", "tmpfs", "-o", "size=24m", "tmpfs"];
    let (_mount, code) = match Command::new("mount").args(tmpfs).arg(&small_fs).output() {
        Ok(out) if out.status.success() => (Some(Mount(small_fs.clone())), "storage_full"),
        other => {
            println!("tmpfs mount refused ({other:?}): asserting the quota path instead");
            (None, "quota_exceeded")
        }
    };
    let data = small_fs.join("data");
    let mut server = local_server(&data);
    server.sign_up("alice", PASSWORD);
    if code == "quota_exceeded" {
        let quota = json!({"storage_quota": 24 * MIB}).to_string();
        let patch = [
            "-X",
            "PATCH",
            "-H",
            "Content-Type: application/json",
            "-d",
            &quota,
        ];
        let (status, _) = server.call("/api/v1/users/1", &patch);
        assert_eq!(status, 200);
    }
    let file = |name: &str, size, seed| {
        let path = dir.path().join(name);
        write_random(&path, size, seed);
        path
    };
    let big = file("big", 40 * MIB, 6);
    assert_eq!(server.put(&file("a", 4096, 5), "/first.bin").0, 201);

    // The refusal arrives even though it is decided mid-stream: the rest of the body is read
    // and discarded before answering, so the client is not reset while still sending.
    assert_error(server.put(&big, "/big/big.bin"), (507, code));
    let form = format!("file=@{}", big.display());
    assert_error(server.json("/api/v1/files", &["-F", &form]), (507, code));
    assert_eq!(
        python_put_status(&server, &big),
        507,
        "a client that sends everything before reading"
    );
    assert_eq!(server.names(), json!(["first.bin"]), "no folder");
    assert_eq!(server.used(), 4096);
    assert!(parts(&data).is_empty(), "no partial file left");
    assert_eq!(blob_files(&data).len(), 1);
    assert_consistent(&data);

    // Recovered without a restart.
    assert_eq!(server.put(&file("b", 4096, 7), "/second.bin").0, 201);
    assert_eq!(server.used(), 8192);
    drop(server);
}

#[test]
fn check_reports_missing_corrupt_and_orphan_blobs_and_repair_fixes_what_is_safe() {
    let (dir, data, mut server) = fresh();
    let mut files = Vec::new();
    for (n, size) in [10_000u64, 20_000, 30_000].into_iter().enumerate() {
        let path = dir.path().join(format!("f{n}"));
        let digest = write_random(&path, size, 10 + n as u64);
        let (status, entry) = server.put(&path, &format!("/f{n}.bin"));
        assert_eq!(status, 201, "{entry}");
        files.push((entry["id"].clone(), digest));
    }
    server.kill9();
    let [(gone_id, gone), (_, flipped), (kept_id, kept)] = <[_; 3]>::try_from(files).unwrap();
    fs::remove_file(blob_path(&data, &gone)).unwrap();
    let mut bytes = fs::read(blob_path(&data, &flipped)).unwrap();
    bytes[1000] ^= 0xff;
    fs::write(blob_path(&data, &flipped), &bytes).unwrap();
    let orphan = format!("abcd{}", "ef".repeat(30));
    let orphan_file = blob_path(&data, &orphan);
    fs::create_dir_all(orphan_file.parent().unwrap()).unwrap();
    fs::copy(dir.path().join("f0"), &orphan_file).unwrap();
    let db = rusqlite::Connection::open(data.join("hoard.db")).unwrap();
    let sql = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    sql("UPDATE users SET storage_used = 12345 RETURNING id");

    let missing = format!("missing blob {gone}: rows refer to it but the file is gone");
    let mut problems = vec![
        format!(
            "corrupt blob {flipped}: content hashes to {}",
            sha256_hex(&bytes)
        ),
        missing.clone(),
        "user 1 records 12345 bytes used, has 60000".to_owned(),
    ];
    problems.sort();
    // The orphan is younger than the grace period: it may be an upload about to commit.
    assert_eq!(hoard(&data, &["check"]), (1, problems));

    // Usage is repaired; the corrupt blob is moved to quarantine/ and stays reported.
    let quarantined = format!(
        "quarantined blob {flipped}: its damaged file is in quarantine/; the files that use \
         it fail until deleted or uploaded again"
    );
    let mut problems = vec![missing, quarantined];
    problems.sort();
    assert_eq!(hoard(&data, &["check", "--repair"]), (1, problems.clone()));
    let used = sql("SELECT storage_used FROM users");
    assert_eq!(used, 60_000, "usage repaired");
    let mut touch = Command::new("touch");
    touch.args(["-d", "2 hours ago"]).arg(&orphan_file);
    assert!(touch.status().unwrap().success());
    let mut with_orphan = problems.clone();
    with_orphan.push(format!("orphan blob {orphan}: no row refers to it"));
    with_orphan.sort();
    assert_eq!(hoard(&data, &["check"]), (1, with_orphan));
    assert_eq!(hoard(&data, &["check", "--repair"]), (1, problems.clone()));
    assert!(!orphan_file.exists(), "old orphan reclaimed");
    assert_eq!(hoard(&data, &["check"]), (1, problems), "the rest stays");

    server.restart();
    let route = format!("/api/v1/files/{gone_id}/download");
    assert_error(server.json(&route, &["-m", "20"]), (500, "internal"));
    let (status, body) = server.call(&format!("/api/v1/files/{kept_id}/download"), &[]);
    assert_eq!((status, sha256_hex(&body)), (200, kept));
}

#[test]
fn backup_while_serving_is_a_consistent_snapshot() {
    let (dir, data, server) = fresh();
    let file = |name: String, seed| {
        let path = dir.path().join(&name);
        write_random(&path, 50_000, seed);
        (name, path)
    };
    for n in 0..5 {
        let (name, path) = file(format!("before-{n}.bin"), 20 + n);
        assert_eq!(server.put(&path, &format!("/{name}")).0, 201);
    }
    let during = (0..20).map(|n| file(format!("during-{n}.bin"), 40 + n));
    let during: Vec<_> = during.collect();
    let snapshot = dir.path().join("snapshot.db");
    let snapshot_arg = snapshot.to_str().unwrap();
    let (backup, statuses) = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let put = |(name, path): &(String, PathBuf)| server.put(path, &format!("/{name}")).0;
            during.iter().map(put).collect::<Vec<u16>>()
        });
        let backup = hoard(&data, &["backup", snapshot_arg]);
        (backup, writer.join().unwrap())
    });
    assert_eq!(backup.0, 0, "{backup:?}");
    assert_eq!(statuses, vec![201; 20], "uploads went on meanwhile");

    let snap = rusqlite::Connection::open(&snapshot).unwrap();
    let sql = |sql: &str| snap.query_row(sql, [], |r| r.get::<_, String>(0)).unwrap();
    assert_eq!(sql("PRAGMA integrity_check"), "ok");
    let names = "SELECT group_concat(name, ' ') FROM (SELECT name FROM entries
                 WHERE name LIKE 'before-%' ORDER BY name)";
    let before = "before-0.bin before-1.bin before-2.bin before-3.bin before-4.bin";
    assert_eq!(sql(names), before);
    let size = fs::metadata(&snapshot).unwrap().len();
    let again = hoard(&data, &["backup", snapshot_arg]);
    assert_eq!(again.0, 2, "an existing file is never overwritten");
    assert_eq!(fs::metadata(&snapshot).unwrap().len(), size);
    assert_consistent(&data);
}

/// Resets the peak RSS of `pid`, runs `work`, returns the new peak (VmHWM) in KiB.
fn peak_kib<T>(pid: u32, work: impl FnOnce() -> T) -> (u64, T) {
    fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let value = work();
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    (kib, value)
}

#[test]
fn memory_stays_bounded_for_a_large_upload_and_download() {
    let (dir, _data, server) = fresh();
    // Sparse zeros: instant to make and for curl to read; one file, so dedup plays no part.
    let big = dir.path().join("big.bin");
    File::create(&big).unwrap().set_len(512 * MIB).unwrap();
    let mut hasher = Sha256::new();
    (0..512).for_each(|_| hasher.update([0u8; MIB as usize]));
    let digest = hex(&hasher.finalize());
    let started = Instant::now();
    let (up, (status, entry)) = peak_kib(server.child.id(), || server.put(&big, "/big.bin"));
    let up_secs = started.elapsed().as_secs_f64();
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["sha256"], digest.as_str());

    let started = Instant::now();
    let url = format!("{}/api/v1/files/{}/download", server.base, entry["id"]);
    // Streamed straight into sha256sum: nothing is kept, as with `-o /dev/null`.
    let script = format!("curl -sS --fail -H \"$AUTH\" {url} -o - | sha256sum");
    let mut bash = Command::new("bash");
    bash.args(["-o", "pipefail", "-c", &script]);
    bash.env("AUTH", server.auth());
    let (down, out) = peak_kib(server.child.id(), || bash.output().unwrap());
    let down_secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let sum = stdout.split(' ').next();
    assert_eq!(sum, Some(digest.as_str()), "byte-identical");
    let rate = |secs: f64| 512.0 * 1.048_576 / secs;
    let (up_rate, down_rate) = (rate(up_secs), rate(down_secs));
    println!("512 MiB upload: peak VmHWM {up} KiB, {up_rate:.0} MB/s");
    println!("512 MiB download: peak VmHWM {down} KiB, {down_rate:.0} MB/s");
    assert!(up < 64 * 1024, "upload peak {up} KiB");
    assert!(down < 64 * 1024, "download peak {down} KiB");
}
