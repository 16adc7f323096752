//! Resumable uploads over tus 1.0.0 (SPEC §6), request by request: the protocol's
//! statuses and headers, what lands on disk and in the drive, expiry and isolation.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::drive_helpers::{files_under, list, mkdir, names, set_quota, sha_hex, upload};
use crate::helpers::{Reply, TestApp};

const TUS: (&str, &str) = ("tus-resumable", "1.0.0");
const CHUNK: (&str, &str) = ("content-type", "application/offset+octet-stream");

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A tus request: `Authorization` and `Tus-Resumable: 1.0.0`, then `extra` headers.
async fn send(
    app: &TestApp,
    method: Method,
    url: &str,
    token: &str,
    extra: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let auth = bearer(token);
    let mut headers = vec![("authorization", auth.as_str()), TUS];
    headers.extend_from_slice(extra);
    app.send_raw(method, url, &headers, body).await
}

/// `POST /uploads` of `length` bytes with raw `Upload-Metadata`.
async fn create_raw(app: &TestApp, token: &str, length: usize, metadata: &str) -> Reply {
    let length = length.to_string();
    let headers = [
        ("upload-length", length.as_str()),
        ("upload-metadata", metadata),
    ];
    send(
        app,
        Method::POST,
        "/api/v1/uploads",
        token,
        &headers,
        Vec::new(),
    )
    .await
}

/// `POST /uploads` of `length` bytes with these metadata pairs.
async fn create(app: &TestApp, token: &str, length: usize, pairs: &[(&str, &str)]) -> Reply {
    create_raw(app, token, length, &meta(pairs)).await
}

/// Creates an upload of `length` bytes named `name`; returns its URL.
async fn create_ok(app: &TestApp, token: &str, length: usize, name: &str) -> String {
    let reply = create(app, token, length, &[("filename", name)]).await;
    reply.assert_status(201);
    reply.header("location").expect("Location").to_owned()
}

/// creation-with-upload: `POST /uploads` of `length` bytes named `name`, carrying `first`.
async fn create_with_bytes(
    app: &TestApp,
    token: &str,
    length: usize,
    name: &str,
    first: &[u8],
) -> Reply {
    let (length, metadata) = (length.to_string(), meta(&[("filename", name)]));
    let headers = [
        CHUNK,
        ("upload-length", &length),
        ("upload-metadata", &metadata),
    ];
    send(
        app,
        Method::POST,
        "/api/v1/uploads",
        token,
        &headers,
        first.to_vec(),
    )
    .await
}

/// Creates an upload of `length` bytes named `name` and PATCHes `first` at offset 0;
/// returns its URL.
async fn started(app: &TestApp, token: &str, length: usize, name: &str, first: &[u8]) -> String {
    let url = create_ok(app, token, length, name).await;
    patch(app, token, &url, 0, first).await.assert_status(204);
    url
}

async fn patch(app: &TestApp, token: &str, url: &str, offset: usize, data: &[u8]) -> Reply {
    let offset = offset.to_string();
    let headers = [CHUNK, ("upload-offset", offset.as_str())];
    send(app, Method::PATCH, url, token, &headers, data.to_vec()).await
}

/// A PATCH with `Upload-Checksum: CHECKSUM`.
async fn patch_checked(
    app: &TestApp,
    token: &str,
    url: &str,
    offset: usize,
    data: &[u8],
    checksum: &str,
) -> Reply {
    let offset = offset.to_string();
    let headers = [
        CHUNK,
        ("upload-offset", offset.as_str()),
        ("upload-checksum", checksum),
    ];
    send(app, Method::PATCH, url, token, &headers, data.to_vec()).await
}

async fn head(app: &TestApp, token: &str, url: &str) -> Reply {
    send(app, Method::HEAD, url, token, &[], Vec::new()).await
}

async fn terminate(app: &TestApp, token: &str, url: &str) -> Reply {
    send(app, Method::DELETE, url, token, &[], Vec::new()).await
}

async fn status(app: &TestApp, token: &str, url: &str) -> Value {
    let id = url.rsplit('/').next().unwrap();
    let reply = app
        .get(&format!("/api/v1/uploads?ids={id}"), Some(token))
        .await;
    reply.assert_status(200);
    reply.json()["items"][0].clone()
}

fn offset_of(reply: &Reply) -> String {
    reply.header("upload-offset").unwrap_or_default().to_owned()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn upload_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    files_under(&app.data_dir().join("tmp/uploads"))
}

/// The size of the (one) open upload's file on disk.
fn open_upload_len(app: &TestApp) -> u64 {
    std::fs::metadata(&upload_files(app)[0]).unwrap().len()
}

fn sha256_b64(bytes: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(bytes))
}

async fn download(app: &TestApp, token: &str, id: i64) -> Vec<u8> {
    let reply = app
        .get(&format!("/api/v1/files/{id}/download"), Some(token))
        .await;
    reply.assert_status(200);
    reply.body
}

#[tokio::test]
async fn options_advertise_version_extensions_checksums_and_the_size_limit() {
    let app = TestApp::with_config(|c| c.limits.max_upload_bytes = 10_000_000);
    let reply = app
        .send_raw(Method::OPTIONS, "/api/v1/uploads", &[], Vec::new())
        .await;
    reply.assert_status(204);
    assert_eq!(reply.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(reply.header("tus-version"), Some("1.0.0"));
    assert_eq!(
        reply.header("tus-extension"),
        Some("creation,creation-with-upload,termination,checksum,expiration")
    );
    assert_eq!(reply.header("tus-checksum-algorithm"), Some("sha1,sha256"));
    assert_eq!(reply.header("tus-max-size"), Some("10000000"));
}

#[tokio::test]
async fn chunks_resume_from_head_and_the_last_byte_commits_the_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let folder = mkdir(&app, &alice.access, "Videos", None).await;
    let folder_id = folder["id"].as_i64().unwrap();
    let bytes = data(3 * 1024 * 1024 + 17);
    let metadata = meta(&[
        ("filename", "clip.bin"),
        ("parent_id", &folder_id.to_string()),
    ]);
    let created = create_raw(&app, &alice.access, bytes.len(), &metadata).await;
    created.assert_status(201);
    let url = created.header("location").unwrap().to_owned();
    assert!(url.starts_with("/api/v1/uploads/"), "{url}");
    assert_eq!(offset_of(&created), "0");
    assert!(created.header("upload-expires").unwrap().ends_with(" GMT"));
    assert_eq!(created.json()["status"], "pending");

    let first = patch(&app, &alice.access, &url, 0, &bytes[..1_000_000]).await;
    first.assert_status(204);
    assert_eq!(offset_of(&first), "1000000");
    let probe = head(&app, &alice.access, &url).await;
    probe.assert_status(204);
    assert_eq!(offset_of(&probe), "1000000");
    assert_eq!(
        probe.header("upload-length"),
        Some(&*bytes.len().to_string())
    );
    assert_eq!(probe.header("upload-metadata"), Some(metadata.as_str()));
    assert_eq!(probe.header("cache-control"), Some("no-store"));
    assert_eq!(
        status(&app, &alice.access, &url).await["status"],
        "uploading"
    );
    assert_eq!(open_upload_len(&app), 1_000_000);

    let last = patch(&app, &alice.access, &url, 1_000_000, &bytes[1_000_000..]).await;
    last.assert_status(204);
    assert_eq!(offset_of(&last), bytes.len().to_string());
    assert_eq!(last.header("upload-expires"), None);

    let state = status(&app, &alice.access, &url).await;
    assert_eq!(state["status"], "completed");
    assert_eq!(state["offset"], bytes.len() as i64);
    let file_id = state["file_id"].as_i64().unwrap();
    let listed = list(&app, &alice.access, &format!("?parent_id={folder_id}")).await;
    assert_eq!(names(&listed), ["clip.bin"]);
    assert_eq!(listed["items"][0]["size"], bytes.len() as i64);
    assert_eq!(download(&app, &alice.access, file_id).await, bytes);
    assert!(
        upload_files(&app).is_empty(),
        "the upload's bytes moved into the store"
    );
    let stored: i64 = app
        .db()
        .query_row(
            "SELECT storage_used FROM users WHERE id = ?1",
            [alice.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, bytes.len() as i64);
    // A HEAD after completion still reports the whole length: clients see it is done.
    assert_eq!(
        offset_of(&head(&app, &alice.access, &url).await),
        bytes.len().to_string()
    );
}

#[tokio::test]
async fn a_wrong_offset_is_409_and_appends_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let url = started(&app, &alice.access, 100, "a.bin", &data(40)).await;
    for wrong in [0, 39, 41, 100] {
        let reply = patch(&app, &alice.access, &url, wrong, &data(10)).await;
        reply.assert_error(409, "upload_conflict");
    }
    assert_eq!(offset_of(&head(&app, &alice.access, &url).await), "40");
    assert_eq!(open_upload_len(&app), 40);
}

#[tokio::test]
async fn a_checksum_mismatch_is_460_and_discards_that_patch() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bytes = data(300);
    let url = create_ok(&app, &alice.access, bytes.len(), "sum.bin").await;
    let good = format!("sha256 {}", sha256_b64(&bytes[..100]));
    patch_checked(&app, &alice.access, &url, 0, &bytes[..100], &good)
        .await
        .assert_status(204);

    let wrong = format!("sha256 {}", sha256_b64(b"something else"));
    let reply = patch_checked(&app, &alice.access, &url, 100, &bytes[100..], &wrong).await;
    reply.assert_error(460, "checksum_mismatch");
    assert_eq!(reply.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(offset_of(&head(&app, &alice.access, &url).await), "100");
    assert_eq!(open_upload_len(&app), 100);

    let sha1 = format!("sha1 {}", STANDARD.encode(Sha1::digest(&bytes[100..])));
    patch_checked(&app, &alice.access, &url, 100, &bytes[100..], &sha1)
        .await
        .assert_status(204);
    let file_id = status(&app, &alice.access, &url).await["file_id"]
        .as_i64()
        .unwrap();
    let stored = download(&app, &alice.access, file_id).await;
    assert_eq!(sha_hex(&stored), sha_hex(&bytes));
}

#[tokio::test]
async fn protocol_violations_get_tus_statuses() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let url = create_ok(&app, &alice.access, 10, "p.bin").await;
    let t = &alice.access;
    let auth = bearer(t);

    let old = app
        .send_raw(
            Method::PATCH,
            &url,
            &[
                ("authorization", &auth),
                ("tus-resumable", "0.2.2"),
                CHUNK,
                ("upload-offset", "0"),
            ],
            data(5),
        )
        .await;
    old.assert_error(412, "precondition_failed");
    assert_eq!(old.header("tus-version"), Some("1.0.0"));
    let missing = app
        .send_raw(Method::HEAD, &url, &[("authorization", &auth)], Vec::new())
        .await;
    missing.assert_status(412);

    let octets = [
        ("content-type", "application/octet-stream"),
        ("upload-offset", "0"),
    ];
    let wrong_type = send(&app, Method::PATCH, &url, t, &octets, data(5)).await;
    wrong_type.assert_error(415, "unsupported_media_type");

    let md5 = patch_checked(&app, t, &url, 0, &data(5), "md5 AAAA").await;
    md5.assert_error(400, "bad_request");
    let past = patch(&app, &alice.access, &url, 0, &data(11)).await;
    past.assert_error(413, "too_large");
    assert_eq!(offset_of(&head(&app, &alice.access, &url).await), "0");
    assert_eq!(open_upload_len(&app), 0);

    let anonymous = app.send_raw(Method::HEAD, &url, &[TUS], Vec::new()).await;
    anonymous.assert_status(401);
}

#[tokio::test]
async fn creation_checks_metadata_name_folder_and_conflicts_before_any_byte() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    upload(&app, &alice.access, "taken.txt", b"old").await;
    let t = &alice.access;

    let no_name = create(&app, t, 5, &[("parent_id", "")]).await;
    no_name.assert_error(422, "validation_failed");
    assert!(no_name.json()["fields"]["filename"].is_string());
    create(&app, t, 5, &[("filename", "a/b")])
        .await
        .assert_error(422, "invalid_name");
    let bad_policy = create(&app, t, 5, &[("filename", "x"), ("on_conflict", "merge")]).await;
    bad_policy.assert_error(422, "validation_failed");
    assert!(bad_policy.json()["fields"]["on_conflict"].is_string());
    create(&app, t, 5, &[("filename", "x"), ("parent_id", "999")])
        .await
        .assert_error(404, "not_found");
    create(
        &app,
        t,
        5,
        &[("filename", "taken.txt"), ("on_conflict", "fail")],
    )
    .await
    .assert_error(409, "name_conflict");
    create_raw(&app, t, 5, "filename !!notbase64")
        .await
        .assert_error(400, "bad_request");
    let metadata = meta(&[("filename", "x")]);
    let only_metadata = [("upload-metadata", metadata.as_str())];
    let no_length = send(
        &app,
        Method::POST,
        "/api/v1/uploads",
        t,
        &only_metadata,
        vec![],
    )
    .await;
    no_length.assert_error(400, "bad_request");
    let listed = app.get("/api/v1/uploads", Some(t)).await.json();
    assert_eq!(listed["total"], 0, "nothing was created: {listed}");
    assert!(upload_files(&app).is_empty());
}

/// A file's `modified_at`, in unix seconds.
async fn modified_at(app: &TestApp, token: &str, id: i64) -> i64 {
    let entry = app
        .get(&format!("/api/v1/files/{id}"), Some(token))
        .await
        .json();
    chrono::DateTime::parse_from_rfc3339(entry["modified_at"].as_str().unwrap())
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn mtime_metadata_becomes_the_finished_files_modified_at() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    let old = upload(&app, t, "report.pdf", b"old").await;
    let cases = [
        (("filename", "new.txt"), "978307200", 978_307_200),
        (("filename", "cut.txt"), "978307200.75", 978_307_200),
        (("filename", "report.pdf"), "1000000000", 1_000_000_000),
    ];
    for ((key, name), mtime, want) in cases {
        let pairs = [(key, name), ("mtime", mtime), ("on_conflict", "overwrite")];
        let url = create(&app, t, 4, &pairs).await;
        url.assert_status(201);
        let url = url.header("location").unwrap().to_owned();
        patch(&app, t, &url, 0, b"data").await.assert_status(204);
        let file_id = status(&app, t, &url).await["file_id"].as_i64().unwrap();
        assert_eq!(modified_at(&app, t, file_id).await, want, "{name}");
        if name == "report.pdf" {
            assert_eq!(file_id, old["id"].as_i64().unwrap(), "replaced in place");
        }
    }
    // An empty upload commits at creation, with its mtime too.
    let empty = create(&app, t, 0, &[("filename", "empty"), ("mtime", "86400")]).await;
    empty.assert_status(201);
    let file_id = empty.json()["file_id"].as_i64().unwrap();
    assert_eq!(modified_at(&app, t, file_id).await, 86_400);
    // Without mtime (or with an empty one), the time of the last byte.
    let before = chrono::Utc::now().timestamp();
    let plain = create(&app, t, 0, &[("filename", "plain"), ("mtime", "")]).await;
    let file_id = plain.json()["file_id"].as_i64().unwrap();
    assert!(modified_at(&app, t, file_id).await >= before);
}

#[tokio::test]
async fn a_bad_mtime_is_refused_at_creation_and_creates_nothing() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    for bad in [
        "yesterday",
        "-1",
        "+5",
        " 5",
        "1e9",
        "1.",
        "0x10",
        "253402300800",
        "99999999999999999999",
    ] {
        let refused = create(&app, t, 5, &[("filename", "x.txt"), ("mtime", bad)]).await;
        refused.assert_error(422, "validation_failed");
        let fields = &refused.json()["fields"];
        assert!(fields["mtime"].is_string(), "{bad:?}: {fields}");
    }
    let last = create(
        &app,
        t,
        0,
        &[("filename", "y.txt"), ("mtime", "253402300799")],
    )
    .await;
    last.assert_status(201);
    let listed = app.get("/api/v1/uploads", Some(t)).await.json();
    assert_eq!(
        listed["total"], 1,
        "only the good one was created: {listed}"
    );
    assert!(upload_files(&app).is_empty());
}

#[tokio::test]
async fn quota_and_size_limit_are_checked_at_creation_counting_open_uploads() {
    let app = TestApp::with_config(|c| c.limits.max_upload_bytes = 5000);
    let (admin, alice) = app.admin_and_user().await;
    set_quota(&app, &admin.access, alice.id, Some(3000)).await;
    create(&app, &alice.access, 5001, &[("filename", "big")])
        .await
        .assert_error(413, "too_large");
    create(&app, &alice.access, 3001, &[("filename", "big")])
        .await
        .assert_error(507, "quota_exceeded");
    create_ok(&app, &alice.access, 2000, "one").await;
    // 2000 bytes are promised to the first, unfinished upload.
    create(&app, &alice.access, 1001, &[("filename", "two")])
        .await
        .assert_error(507, "quota_exceeded");
    create_ok(&app, &alice.access, 1000, "two").await;
}

#[tokio::test]
async fn creation_with_upload_takes_the_first_bytes_and_may_complete_at_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bytes = data(5000);
    let whole = create_with_bytes(&app, &alice.access, 5000, "whole.bin", &bytes).await;
    whole.assert_status(201);
    assert_eq!(offset_of(&whole), "5000");
    assert_eq!(whole.json()["status"], "completed");
    let file_id = whole.json()["file_id"].as_i64().unwrap();
    assert_eq!(download(&app, &alice.access, file_id).await, bytes);

    let part = create_with_bytes(&app, &alice.access, 5000, "part.bin", &bytes[..1234]).await;
    part.assert_status(201);
    assert_eq!(offset_of(&part), "1234");
    let url = part.header("location").unwrap().to_owned();
    patch(&app, &alice.access, &url, 1234, &bytes[1234..])
        .await
        .assert_status(204);
    assert_eq!(
        status(&app, &alice.access, &url).await["status"],
        "completed"
    );

    let empty = create(&app, &alice.access, 0, &[("filename", "empty.txt")]).await;
    empty.assert_status(201);
    assert_eq!(empty.json()["status"], "completed");
    let root = list(&app, &alice.access, "").await;
    assert_eq!(names(&root), ["empty.txt", "part.bin", "whole.bin"]);
}

#[tokio::test]
async fn termination_removes_the_bytes_and_the_upload() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let url = started(&app, &alice.access, 100, "gone.bin", &data(60)).await;
    assert_eq!(upload_files(&app).len(), 1);
    let deleted = terminate(&app, &alice.access, &url).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    assert!(upload_files(&app).is_empty());
    head(&app, &alice.access, &url).await.assert_status(404);
    patch(&app, &alice.access, &url, 60, &data(40))
        .await
        .assert_error(404, "not_found");
    assert_eq!(list(&app, &alice.access, "").await["total"], 0);
}

#[tokio::test]
async fn an_upload_whose_bytes_are_gone_is_410_and_not_resumed() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let url = started(&app, &alice.access, 100, "lost.bin", &data(60)).await;
    // A restore without tmp/uploads/, or a disk that lost the file.
    let files = upload_files(&app);
    assert_eq!(files.len(), 1);
    std::fs::remove_file(&files[0]).unwrap();
    let gone = head(&app, &alice.access, &url).await;
    gone.assert_status(410);
    assert!(
        gone.header("upload-offset").is_none(),
        "no offset is promised"
    );
    patch(&app, &alice.access, &url, 60, &data(40))
        .await
        .assert_error(410, "upload_failed");
    assert_eq!(status(&app, &alice.access, &url).await["status"], "failed");
    assert!(upload_files(&app).is_empty());
    assert_eq!(list(&app, &alice.access, "").await["total"], 0);
}

/// Moves an upload's expiry into the past, as if its time had run out.
fn backdate(app: &TestApp, url: &str) {
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    app.db()
        .execute(
            "UPDATE uploads SET expires_at = unixepoch() - 1 WHERE id = ?1",
            [id],
        )
        .unwrap();
}

#[tokio::test]
async fn an_expired_upload_answers_410_and_its_bytes_are_removed() {
    let app = TestApp::with_config(|c| c.storage.upload_expiry_s = 600);
    let alice = app.register("alice").await;
    let lazy = create_ok(&app, &alice.access, 100, "lazy.bin").await;
    let swept = create_ok(&app, &alice.access, 100, "swept.bin").await;
    patch(&app, &alice.access, &lazy, 0, &data(10))
        .await
        .assert_status(204);
    patch(&app, &alice.access, &swept, 0, &data(10))
        .await
        .assert_status(204);
    assert_eq!(upload_files(&app).len(), 2);
    // Each PATCH pushes the expiry to `storage.upload_expiry_s` after it.
    let lifetimes: Vec<i64> = app
        .db()
        .prepare("SELECT expires_at - updated_at FROM uploads ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(lifetimes, [600, 600]);

    // Touched after its expiry: expired on the spot, bytes gone, 410 from then on.
    backdate(&app, &lazy);
    head(&app, &alice.access, &lazy).await.assert_status(410);
    assert_eq!(upload_files(&app).len(), 1);
    // Never touched again: the sweeper expires it.
    backdate(&app, &swept);
    let (expired, _) = app.state.uploads.sweep().await.unwrap();
    assert_eq!(expired, 1);
    assert!(upload_files(&app).is_empty());
    patch(&app, &alice.access, &swept, 10, &data(10))
        .await
        .assert_error(410, "upload_expired");
    for url in [&lazy, &swept] {
        let state = status(&app, &alice.access, url).await;
        assert_eq!(
            (state["status"].as_str(), state["error"].as_str()),
            (Some("failed"), Some("upload_expired"))
        );
    }
}

#[tokio::test]
async fn a_commit_that_cannot_succeed_fails_the_upload() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let late = [("filename", "late.txt"), ("on_conflict", "fail")];
    let reply = create(&app, &alice.access, 5, &late).await;
    reply.assert_status(201);
    let url = reply.header("location").unwrap().to_owned();
    // Someone takes the name while the upload is under way.
    upload(&app, &alice.access, "late.txt", b"first").await;
    patch(&app, &alice.access, &url, 0, b"later")
        .await
        .assert_error(409, "name_conflict");
    let state = status(&app, &alice.access, &url).await;
    assert_eq!(
        (state["status"].as_str(), state["error"].as_str()),
        (Some("failed"), Some("name_conflict"))
    );
    assert!(upload_files(&app).is_empty());
    head(&app, &alice.access, &url).await.assert_status(410);
    assert_eq!(list(&app, &alice.access, "").await["total"], 1);
}

#[tokio::test]
async fn a_restarted_server_rehashes_what_it_had_and_finishes_right() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bytes = data(2_500_000);
    let url = started(
        &app,
        &alice.access,
        bytes.len(),
        "restart.bin",
        &bytes[..1_300_000],
    )
    .await;

    // A second app on the same data directory knows nothing of the first one's hashes.
    let again = TestApp::reopen(&app);
    assert_eq!(
        offset_of(&head(&again, &alice.access, &url).await),
        "1300000"
    );
    patch(&again, &alice.access, &url, 1_300_000, &bytes[1_300_000..])
        .await
        .assert_status(204);
    let state = status(&again, &alice.access, &url).await;
    let file_id = state["file_id"].as_i64().unwrap();
    let sha: String = again
        .db()
        .query_row("SELECT sha256 FROM entries WHERE id = ?1", [file_id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(sha, sha_hex(&bytes));
    assert_eq!(download(&again, &alice.access, file_id).await, bytes);
}

#[tokio::test]
async fn nobody_else_can_see_or_touch_my_upload() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let url = create_ok(&app, &alice.access, 10, "mine.bin").await;
    head(&app, &bob.access, &url).await.assert_status(404);
    patch(&app, &bob.access, &url, 0, &data(10))
        .await
        .assert_error(404, "not_found");
    terminate(&app, &bob.access, &url)
        .await
        .assert_error(404, "not_found");
    app.get(&url, Some(&bob.access))
        .await
        .assert_error(404, "not_found");
    let id = url.rsplit('/').next().unwrap();
    let theirs = app
        .get(&format!("/api/v1/uploads?ids={id}"), Some(&bob.access))
        .await
        .json();
    assert_eq!(theirs["total"], 0);
    assert_eq!(offset_of(&head(&app, &alice.access, &url).await), "0");
    app.get("/api/v1/uploads?ids=1,x", Some(&alice.access))
        .await
        .assert_error(400, "bad_request");
}

/// Bytes, then a broken connection.
struct BreaksOff(std::io::Cursor<Vec<u8>>);

impl tokio::io::AsyncRead for BreaksOff {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.0.position() as usize == self.0.get_ref().len() {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

#[tokio::test]
async fn a_patch_that_breaks_off_keeps_what_arrived_unless_it_had_a_checksum() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bytes = data(5 << 20);
    let url = create_ok(&app, &alice.access, bytes.len(), "flaky.bin").await;
    let send = |extra: Option<String>, offset: usize| {
        let mut request = app
            .client()
            .request(Method::PATCH, url.clone())
            .header("authorization", bearer(&alice.access))
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string());
        if let Some(checksum) = extra {
            request = request.header("upload-checksum", checksum);
        }
        let sent = bytes[offset..offset + (2 << 20)].to_vec();
        request.body(poem::Body::from_async_read(BreaksOff(
            std::io::Cursor::new(sent),
        )))
    };
    // Two whole MiB arrived before the connection broke: both are kept and hashed.
    let response = send(None, 0).send().await;
    response.assert_status(poem::http::StatusCode::BAD_REQUEST);
    assert_eq!(
        offset_of(&head(&app, &alice.access, &url).await),
        (2 << 20).to_string()
    );
    // With a checksum nothing of a broken request can be vouched for.
    let checksum = format!("sha256 {}", sha256_b64(&bytes[2 << 20..4 << 20]));
    send(Some(checksum), 2 << 20)
        .send()
        .await
        .assert_status(poem::http::StatusCode::BAD_REQUEST);
    assert_eq!(
        offset_of(&head(&app, &alice.access, &url).await),
        (2 << 20).to_string()
    );
    patch(&app, &alice.access, &url, 2 << 20, &bytes[2 << 20..])
        .await
        .assert_status(204);
    let file_id = status(&app, &alice.access, &url).await["file_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        sha_hex(&download(&app, &alice.access, file_id).await),
        sha_hex(&bytes)
    );
}
