//! The S3-compatible side of the blob store (`src/store/s3.rs`, SPEC §14) against a real
//! object store: SeaweedFS on loopback (tests/support/seaweed.rs). Objects are written
//! once under a random key while hashed, read back by range, listed and deleted; a body
//! past its limit leaves no object and no open multipart upload; the store going away is
//! `Unavailable`, and the same client works again once it is back.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use futures_util::TryStreamExt;
use hoard::store::s3::{S3Blobs, S3Error, S3Settings};
use support::random::sha256_hex;
use support::seaweed::Seaweed;

const MIB: usize = 1024 * 1024;

fn config(store: &Seaweed) -> S3Settings {
    S3Settings {
        endpoint: store.endpoint.clone(),
        region: store.region.clone(),
        bucket: store.bucket.clone(),
        prefix: "hoard/".into(),
        access_key_id: store.access_key.clone(),
        secret_access_key: store.secret_key.clone(),
        path_style: true,
    }
}

/// Deterministic bytes that do not repeat within a part.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed) * 2_654_435_761 + 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

async fn read(blobs: &S3Blobs, key: &str, range: std::ops::Range<u64>) -> Vec<u8> {
    let stream = blobs.read(key, range).await.expect("read");
    let chunks: Vec<bytes::Bytes> = stream.try_collect().await.expect("body");
    chunks.concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_written_once_with_their_hash_read_by_range_listed_and_deleted() {
    let store = tokio::task::spawn_blocking(Seaweed::start).await.unwrap();
    let blobs = S3Blobs::open(&config(&store)).expect("client");
    blobs.ping().await.expect("the bucket answers");

    // One PUT for a small body; parts for one past the single-PUT size (8 MiB), also when
    // the body ends one byte into the second part or exactly at the end of a part.
    for (len, seed) in [
        (0, 1),
        (1000, 2),
        (8 * MIB, 3),
        (21 * MIB + 17, 4),
        (8 * MIB + 1, 5),
        (16 * MIB, 6),
    ] {
        let data = bytes(len, seed);
        let written = blobs.upload(&data[..], None).await.expect("upload");
        assert_eq!(written.sha256.as_str(), sha256_hex(&data), "{len} bytes");
        assert_eq!(written.size, len as u64);
        assert_eq!(written.head, data[..len.min(8192)]);
        assert!(written.key.starts_with("objects/") && written.key.len() == 8 + 32);
        let stored = store.keys("hoard/objects/");
        assert!(
            stored.contains(&format!("hoard/{}", written.key)),
            "{stored:?}"
        );
        if len > 0 {
            let (start, end) = (len as u64 / 3, len as u64 - 1);
            let part = read(&blobs, &written.key, start..end).await;
            assert_eq!(
                part,
                data[start as usize..end as usize],
                "{len} bytes, a range"
            );
        }
        let whole: Vec<bytes::Bytes> = blobs
            .read_all(&written.key)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(sha256_hex(&whole.concat()), sha256_hex(&data));
        let listed = blobs.list().await.expect("list");
        let found = listed
            .iter()
            .find(|l| l.key == written.key)
            .expect("listed");
        assert_eq!(found.size, len as u64);
        blobs.remove(&written.key).await.expect("remove");
        blobs
            .remove(&written.key)
            .await
            .expect("removing twice is no error");
        assert!(matches!(
            blobs.read(&written.key, 0..1).await,
            Err(S3Error::NotFound)
        ));
    }
    assert_eq!(store.keys("hoard/"), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_its_limit_leaves_no_object_and_no_open_upload() {
    let store = tokio::task::spawn_blocking(Seaweed::start).await.unwrap();
    let blobs = S3Blobs::open(&config(&store)).expect("client");
    for (len, limit) in [(100, 99), (20 * MIB, 12 * MIB as u64)] {
        let data = bytes(len, 9);
        let refused = blobs.upload(&data[..], Some(limit)).await;
        assert!(
            matches!(refused, Err(S3Error::Source(_))),
            "{len} over {limit}"
        );
    }
    assert_eq!(store.keys("hoard/"), Vec::<String>::new());
    let (status, body) = store.s3("GET", "", &["-G", "--data-urlencode", "uploads="]);
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("<Upload>"),
        "an aborted multipart upload is gone: {body}"
    );
    // At the limit exactly is allowed.
    let written = blobs
        .upload(&bytes(100, 9)[..], Some(100))
        .await
        .expect("at the limit");
    assert_eq!(written.size, 100);
}

/// A multipart upload nobody finished (a killed process's) is listed with its start time
/// and aborted through the client; one outside the prefix is not ours and is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_multipart_upload_is_listed_and_aborted() {
    let store = tokio::task::spawn_blocking(Seaweed::start).await.unwrap();
    let blobs = S3Blobs::open(&config(&store)).expect("client");
    let start = |key: &str| {
        let (status, body) = store.s3("POST", &format!("{key}?uploads="), &[]);
        let body = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(status, 200, "{body}");
        let id = body
            .split("<UploadId>")
            .nth(1)
            .and_then(|r| r.split_once("</UploadId>"));
        id.expect("an upload id").0.to_owned()
    };
    let ours = start("hoard/objects/abandoned");
    let theirs = start("elsewhere/objects/theirs");
    let before = hoard_now();
    let listed = blobs.unfinished().await.expect("listing");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].key.as_str(), listed[0].upload_id.as_str()),
        ("objects/abandoned", ours.as_str())
    );
    assert!((before - 60..=before + 60).contains(&listed[0].initiated));
    blobs.abort(&listed[0]).await.expect("abort");
    assert_eq!(blobs.unfinished().await.expect("listing"), []);
    let (_, all) = store.s3("GET", "", &["-G", "--data-urlencode", "uploads="]);
    let all = String::from_utf8_lossy(&all);
    assert!(all.contains(&theirs) && !all.contains(&ours), "{all}");
}

fn hoard_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_away_is_unavailable_and_the_same_client_recovers() {
    let mut store = tokio::task::spawn_blocking(Seaweed::start).await.unwrap();
    let blobs = S3Blobs::open(&config(&store)).expect("client");
    let kept = blobs
        .upload(&b"survives a restart"[..], None)
        .await
        .expect("upload");
    store = tokio::task::spawn_blocking(move || {
        store.kill9();
        store
    })
    .await
    .unwrap();
    assert!(matches!(blobs.ping().await, Err(S3Error::Unavailable(_))));
    let refused = blobs.upload(&b"while it is down"[..], None).await;
    assert!(
        matches!(refused, Err(S3Error::Unavailable(_))),
        "{refused:?}"
    );
    let store = tokio::task::spawn_blocking(move || {
        store.restart();
        store
    })
    .await
    .unwrap();
    blobs.ping().await.expect("the same client, the store back");
    assert_eq!(read(&blobs, &kept.key, 0..18).await, b"survives a restart");

    // Wrong credentials: refused, and said so.
    let mut wrong = config(&store);
    wrong.secret_access_key = "not-the-secret".into();
    let stranger = S3Blobs::open(&wrong).expect("client");
    let refused = stranger.ping().await;
    assert!(matches!(refused, Err(S3Error::Denied(_))), "{refused:?}");
    // A bucket that is not there: said so, not taken for an outage (nor created).
    let mut elsewhere = config(&store);
    elsewhere.bucket = "no-such-bucket".into();
    let missing = S3Blobs::open(&elsewhere).expect("client").ping().await;
    assert!(matches!(missing, Err(S3Error::NotFound)), "{missing:?}");
}
