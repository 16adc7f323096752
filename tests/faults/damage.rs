//! Faults that leave the server running: a full disk (every kind of write, not only
//! uploads, which tests/api/durability.rs covers), SQLite busy under many writers and
//! under a lock held from outside, and blobs that went missing, short or corrupt.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::json;

use crate::support::server::Server;
use crate::world::{
    assert_consistent, at_once, blob_path, send_seeing_headers, sha256_hex, Acked, PASSWORD,
};

/// A tmpfs mounted for one test, unmounted (by path) when dropped, after its server.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "mounting a tmpfs needs root");
        Self(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The answers a write may give on a full disk: success (SQLite reuses WAL pages it
/// already has) or the SPEC's 507 `storage_full` / 503 `unavailable`, never 500.
#[track_caller]
fn assert_full_disk_answer(what: &str, (status, body): (u16, serde_json::Value)) {
    let code = body["code"].as_str().unwrap_or("");
    let refused = (status, code) == (507, "storage_full") || (status, code) == (503, "unavailable");
    assert!(
        (200..300).contains(&status) || refused,
        "{what} on a full disk: {status} {body}"
    );
}

#[test]
fn a_full_disk_refuses_every_kind_of_write_cleanly_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mount = Tmpfs::mount(&dir.path().join("small"), "24m");
    let mut server = Server::start(&mount.0.join("data"));
    server.sign_up("alice", PASSWORD);
    let kept = server.upload("/kept.bin", 100_000, 1).1.unwrap();
    let (_, login) = server.send(
        "POST",
        "/api/v1/auth/login",
        json!({"username": "alice", "password": PASSWORD}),
    );
    let refresh = login["tokens"]["refresh_token"].clone();
    let filler = mount.0.join("filler");
    let free = fs2_free(&mount.0);
    let fill = Command::new("fallocate")
        .args(["-l", &free.to_string()])
        .arg(&filler)
        .status();
    assert!(fill.unwrap().success());

    let writes = [
        (
            "new folder",
            "POST",
            "/api/v1/folders".to_owned(),
            json!({"name": "f"}),
        ),
        (
            "rename",
            "PATCH",
            format!("/api/v1/files/{}", kept.id),
            json!({"name": "renamed.bin"}),
        ),
        (
            "login",
            "POST",
            "/api/v1/auth/login".into(),
            json!({"username": "alice", "password": PASSWORD}),
        ),
        (
            "refresh",
            "POST",
            "/api/v1/auth/refresh".into(),
            json!({"refresh_token": refresh}),
        ),
        (
            "share",
            "POST",
            "/api/v1/shares".into(),
            json!({"file_id": kept.id}),
        ),
    ];
    for (what, method, path, body) in &writes {
        assert_full_disk_answer(what, server.send(method, path, body.clone()));
    }
    let (status, body) = server.upload("/more.bin", 50_000, 2);
    assert_eq!(status, 507, "an upload on a full disk: {body:?}");
    assert_eq!(
        server.download_sha(kept.id),
        (200, kept.sha256.clone()),
        "reads go on"
    );

    fs::remove_file(&filler).unwrap();
    let (status, folder) = server.send("POST", "/api/v1/folders", json!({"name": "after"}));
    assert_eq!(status, 201, "recovered without a restart: {folder}");
    assert_eq!(server.upload("/more.bin", 50_000, 2).0, 201);
    let db = rusqlite::Connection::open(server.data.join("hoard.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_consistent(&server);
    drop(server);
}

/// Free bytes of the filesystem at `path` (`stat -f`).
fn fs2_free(path: &Path) -> u64 {
    let out = Command::new("stat")
        .args(["-f", "-c", "%a %S"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
    parts.next().unwrap() * parts.next().unwrap()
}

/// Every answer to a write under contention: success, or 503 `unavailable` with
/// `Retry-After`; never SQLite's own words.
#[track_caller]
fn assert_success_or_busy(answers: &[(u16, Option<String>, String)]) -> usize {
    let mut busy = 0;
    for (status, retry, body) in answers {
        assert!(
            !body.contains("locked") && !body.contains("sqlite"),
            "{status} {body}"
        );
        if *status == 503 {
            assert!(body.contains("\"unavailable\""), "{body}");
            assert!(
                retry.as_deref().is_some_and(|s| s.parse::<u64>().is_ok()),
                "Retry-After: {retry:?}"
            );
            busy += 1;
        } else {
            assert!((200..300).contains(status), "{status} {body}");
        }
    }
    busy
}

#[test]
fn sqlite_busy_is_503_with_retry_after_never_database_is_locked() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    // Many writers at once: each commit waits its turn on the write lock.
    let folder = |name: String| {
        send_seeing_headers(&server, "POST", "/api/v1/folders", &json!({"name": name}))
    };
    assert_success_or_busy(&at_once(64, |n| folder(format!("d{n}"))));

    // The write lock held from outside for longer than busy_timeout (5 s) and the pool's
    // wait (10 s): every write in the meantime is refused the same clean way.
    let db = rusqlite::Connection::open(server.data.join("hoard.db")).unwrap();
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    let held = Instant::now();
    let answers = at_once(24, |n| folder(format!("locked-{n}")));
    db.execute_batch("ROLLBACK").unwrap();
    println!("lock held {:?}", held.elapsed());
    let busy = assert_success_or_busy(&answers);
    assert_eq!(
        busy,
        answers.len(),
        "nothing commits while the lock is held"
    );
    let (status, after) = server.send("POST", "/api/v1/folders", json!({"name": "after"}));
    assert_eq!(status, 201, "{after}");
    assert_consistent(&server);
}

/// Every byte route of a file answers 500 `internal` promptly, never a wrong body.
#[track_caller]
fn assert_served_as_error(server: &Server, id: u64) {
    for route in ["content", "download"] {
        let path = format!("/api/v1/files/{id}/{route}");
        for extra in [&["-m", "20"][..], &["-m", "20", "-r", "0-9"][..]] {
            let (status, body) = server.json(&path, extra);
            assert_eq!(
                (status, &body["code"]),
                (500, &json!("internal")),
                "{path} {extra:?}: {body}"
            );
        }
    }
}

#[test]
fn damaged_blobs_are_reported_quarantined_by_repair_and_served_as_a_clear_error() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    let [flipped, short, missing] = [1, 2, 3].map(|n| {
        server
            .upload(&format!("/f{n}.bin"), 100_000 * n, n)
            .1
            .unwrap()
    });
    let (status, copy) = server.send(
        "POST",
        &format!("/api/v1/files/{}/copy", flipped.id),
        json!({"name": "copy.bin"}),
    );
    assert_eq!(status, 201, "{copy}");
    let data = &server.data;
    let mut bytes = fs::read(blob_path(data, &flipped.sha256)).unwrap();
    bytes[5000] ^= 0x55;
    fs::write(blob_path(data, &flipped.sha256), &bytes).unwrap();
    let short_file = fs::OpenOptions::new()
        .write(true)
        .open(blob_path(data, &short.sha256))
        .unwrap();
    short_file.set_len(1000).unwrap();
    fs::remove_file(blob_path(data, &missing.sha256)).unwrap();

    let quarantined = |f: &Acked| {
        format!("quarantined blob {}: its damaged file is in quarantine/; the files that use it fail until deleted or uploaded again", f.sha256)
    };
    let missing_line = format!(
        "missing blob {}: rows refer to it but the file is gone",
        missing.sha256
    );
    let mut found = vec![
        format!(
            "corrupt blob {}: content hashes to {}",
            flipped.sha256,
            sha256_hex(&bytes)
        ),
        format!(
            "corrupt blob {}: 1000 bytes on disk, 200000 recorded",
            short.sha256
        ),
        missing_line.clone(),
    ];
    found.sort();
    assert_eq!(server.check(&[]), (1, found));
    let mut left = vec![quarantined(&flipped), quarantined(&short), missing_line];
    left.sort();
    assert_eq!(
        server.check(&["--repair"]),
        (1, left.clone()),
        "damage moved aside, not fixed"
    );
    assert_eq!(server.check(&[]), (1, left), "and still reported");
    let kept = fs::read(data.join("quarantine").join(&flipped.sha256)).unwrap();
    assert_eq!(kept, bytes, "the damaged bytes are kept, never deleted");
    let copy_id = copy["id"].as_u64().unwrap();
    for id in [flipped.id, copy_id, short.id, missing.id] {
        assert_served_as_error(&server, id);
    }

    // Uploading the right content again puts the blob back for every file using it.
    assert_eq!(server.upload("/again.bin", 100_000, 1).0, 201);
    assert_eq!(server.download_sha(copy_id), (200, flipped.sha256.clone()));
    // Deleting the files that use a damaged blob ends the report; quarantine/ stays.
    for id in [short.id, missing.id] {
        server.delete_and_purge(id);
    }
    assert_consistent(&server);
    assert!(data.join("quarantine").join(&short.sha256).exists());
}
