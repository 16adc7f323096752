//! Fault injection against the real `hoard` binary (SPEC §9; catalog §2): SIGKILL while
//! uploads (multipart, raw PUT, tus PATCH), renames, moves, trash purges and a user deletion
//! are in flight; then a restart, a clean `hoard check`, and every acknowledged file intact
//! by sha256. tests/faults/unlink.rs: a kill between a purge's or a user deletion's commit
//! and its unlinks; damage.rs: a full disk, SQLite busy, missing and corrupted blobs;
//! overload.rs: load shedding past `limits.max_in_flight`.
//!
//! Runs as root (tmpfs mounts) with curl, python3 and strace installed.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "faults/damage.rs"]
mod damage;
#[path = "faults/overload.rs"]
mod overload;
#[path = "faults/unlink.rs"]
mod unlink;
#[path = "faults/world.rs"]
mod world;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use support::random::{write_random, MIB};
use support::server::Server;
use world::{assert_consistent, wait_for_growing_part, Acked, PASSWORD};

/// What the clients were told, and what they were still waiting for at the kill.
#[derive(Default)]
struct Ledger {
    /// Acknowledged uploads.
    uploaded: Vec<Acked>,
    /// Every content ever sent, acknowledged or not: sha256 → size.
    sent: HashMap<String, u64>,
    /// File id → its last acknowledged name, and the name a rename in flight asked for.
    names: HashMap<u64, (String, Option<String>)>,
    /// Trash items whose purge was acknowledged.
    purged: HashSet<u64>,
    user_deleted: bool,
}

/// Runs `op` in a loop on its own thread until the server stops answering (status 0).
fn until_killed<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    dead: &'s AtomicBool,
    mut op: impl FnMut(u64) -> u16 + Send + 's,
) {
    scope.spawn(move || {
        for n in 0.. {
            if dead.load(Ordering::Relaxed) || op(n) == 0 {
                dead.store(true, Ordering::Relaxed);
                return;
            }
        }
    });
}

#[test]
fn a_kill_amid_uploads_renames_purges_and_a_user_deletion_loses_nothing_acknowledged() {
    let (dir, mut server) = Server::fresh("alice", PASSWORD);
    let (bob, bob_token, bob_files) = server.user_with_files("bob", 5, 40_000, 900);
    let ledger = Mutex::new(Ledger::default());
    let files: Vec<Acked> = (0..30)
        .map(|n| {
            server
                .upload(&format!("/f{n}.bin"), 8_000 + n * 1000, n)
                .1
                .unwrap()
        })
        .collect();
    let trashed: Vec<u64> = files[20..].iter().map(|f| f.id).collect();
    for id in &trashed {
        assert_eq!(
            server
                .call(&format!("/api/v1/files/{id}"), &["-X", "DELETE"])
                .0,
            204
        );
    }
    let (_, moved) = server.send("POST", "/api/v1/folders", json!({"name": "moved"}));
    {
        let mut ledger = ledger.lock().unwrap();
        for (n, file) in files.iter().enumerate() {
            ledger.sent.insert(file.sha256.clone(), file.size);
            ledger.names.insert(file.id, (format!("f{n}.bin"), None));
        }
        ledger.uploaded.extend(files.iter().cloned());
    }
    // Bodies still on the wire at the kill: a multipart upload, a raw PUT overwriting f0,
    // and a tus PATCH.
    let (big, big_over) = (dir.path().join("big.bin"), dir.path().join("over.bin"));
    let chunk_file = dir.path().join("chunk.bin");
    for (path, size, seed) in [(&big, 64 * MIB, 77), (&big_over, 64 * MIB, 78)] {
        let sha = write_random(path, size, seed);
        ledger.lock().unwrap().sent.insert(sha, size);
    }
    write_random(&chunk_file, 16 * MIB, 79);
    let form = format!("file=@{};filename=unacked.bin", big.display());
    let mut slow = vec![server.slow("4M", &["-F", &form], "/api/v1/files")];
    let over = ["-T", big_over.to_str().unwrap()];
    slow.push(server.slow("4M", &over, "/api/v1/files/by-path?path=/f0.bin"));
    let tus = server.tus_create("unacked-tus.bin", 16 * MIB);
    let patch = [
        "-X",
        "PATCH",
        "-H",
        "Tus-Resumable: 1.0.0",
        "-H",
        "Upload-Offset: 0",
    ];
    let chunk = format!("@{}", chunk_file.display());
    let typed = [
        "-H",
        "Content-Type: application/offset+octet-stream",
        "--data-binary",
        &chunk,
    ];
    slow.push(server.slow("1M", &[&patch[..], &typed[..]].concat(), &tus));

    let dead = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (server, ledger, dead) = (&server, &ledger, &dead);
        until_killed(scope, dead, |n| {
            let (path, size, seed) = (format!("/new/n{n}.bin"), 1000 + n * 37, 1000 + n);
            let local = dir.path().join(format!("n{n}"));
            let sha256 = write_random(&local, size, seed);
            ledger.lock().unwrap().sent.insert(sha256.clone(), size);
            let (status, entry) = server.put_file(&local, &path);
            if status == 201 {
                let id = entry["id"].as_u64().unwrap();
                let acked = Acked { id, sha256, size };
                ledger.lock().unwrap().uploaded.push(acked);
            }
            status
        });
        until_killed(scope, dead, |n| {
            let file = &files[(n % 20) as usize];
            let name = format!("f{}-r{n}.bin", n % 20);
            let parent = if n % 2 == 0 {
                moved["id"].clone()
            } else {
                json!(null)
            };
            ledger.lock().unwrap().names.get_mut(&file.id).unwrap().1 = Some(name.clone());
            let body = json!({"name": name, "parent_id": parent});
            let (status, _) = server.send("PATCH", &format!("/api/v1/files/{}", file.id), body);
            if status == 200 {
                ledger.lock().unwrap().names.insert(file.id, (name, None));
            }
            status
        });
        until_killed(scope, dead, |n| {
            let Some(id) = trashed.get(n as usize) else {
                std::thread::sleep(Duration::from_millis(20));
                return server.json("/health", &[]).0;
            };
            let (status, _) = server.call(&format!("/api/v1/trash/{id}"), &["-X", "DELETE"]);
            if status == 204 {
                ledger.lock().unwrap().purged.insert(*id);
            }
            status
        });
        until_killed(scope, dead, |n| {
            if n > 0 {
                std::thread::sleep(Duration::from_millis(20));
                return server.json("/health", &[]).0;
            }
            let (status, _) = server.call(&format!("/api/v1/users/{bob}"), &["-X", "DELETE"]);
            ledger.lock().unwrap().user_deleted = status == 204;
            status
        });
        wait_for_growing_part(&server.data);
        let deadline = Instant::now() + Duration::from_secs(60);
        while ledger.lock().unwrap().uploaded.len() < 40 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // By PID from here, while the workers still hold the server; reaped by restart.
        world::sigkill(server);
    });
    for mut curl in slow {
        assert!(
            !curl.wait().unwrap().success(),
            "an upload in flight saw the kill"
        );
    }

    server.restart();
    assert_consistent(&server);
    let ledger = ledger.into_inner().unwrap();
    verify_after_crash(&server, &ledger, &trashed);
    let (status, uploads) = server.json("/api/v1/uploads", &[]);
    assert_eq!(
        (status, &uploads["items"][0]["file_id"]),
        (200, &json!(null)),
        "{uploads}"
    );
    let bob_seen = server.json(&format!("/api/v1/users/{bob}"), &[]).0;
    if ledger.user_deleted {
        assert_eq!(bob_seen, 404, "an acknowledged user deletion stays done");
    } else if bob_seen == 200 {
        let alice_token = std::mem::replace(&mut server.token, bob_token);
        for file in &bob_files {
            assert_eq!(
                server.download_sha(file.id),
                (200, file.sha256.clone()),
                "all or nothing"
            );
        }
        server.token = alice_token;
    }
}

/// After the restart: every acknowledged file is there with its content, under its last
/// acknowledged name or the one a rename in flight asked for; acknowledged purges stay
/// done; nothing visible was never sent in full; `storage_used` is what is visible.
fn verify_after_crash(server: &Server, ledger: &Ledger, trashed: &[u64]) {
    let live = server.live_files();
    let trash = server.trash_ids();
    let by_id: HashMap<u64, &serde_json::Value> = live
        .iter()
        .map(|e| (e["id"].as_u64().unwrap(), e))
        .collect();
    for file in ledger.uploaded.iter().filter(|f| !trashed.contains(&f.id)) {
        assert!(
            by_id.contains_key(&file.id),
            "acknowledged file {} is listed",
            file.id
        );
        assert_eq!(
            server.download_sha(file.id),
            (200, file.sha256.clone()),
            "file {}",
            file.id
        );
        if let Some((acked, pending)) = ledger.names.get(&file.id) {
            let name = by_id[&file.id]["name"].as_str().unwrap();
            let allowed = name == acked || pending.as_deref() == Some(name);
            assert!(
                allowed,
                "file {} is named {name}: acked {acked}, in flight {pending:?}",
                file.id
            );
        }
    }
    for id in trashed {
        assert!(
            !by_id.contains_key(id),
            "trash item {id} did not come back to life"
        );
        if ledger.purged.contains(id) {
            assert!(!trash.contains(id), "acknowledged purge of {id} stays done");
        }
    }
    let mut visible = 0;
    for entry in &live {
        let (sha, size) = (
            entry["sha256"].as_str().unwrap(),
            entry["size"].as_u64().unwrap(),
        );
        assert_eq!(
            ledger.sent.get(sha),
            Some(&size),
            "only whole, sent content: {entry}"
        );
        visible += size;
    }
    let trashed_sizes = ledger.uploaded.iter().filter(|f| trash.contains(&f.id));
    visible += trashed_sizes.map(|f| f.size).sum::<u64>();
    assert_eq!(
        server.storage_used(),
        visible,
        "storage_used = live + trash"
    );
}
