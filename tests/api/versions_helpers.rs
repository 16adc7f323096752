//! Helpers of the version tests: replacing a content through each door, reading a file's
//! versions and bytes, and `hoard check` on the app's data directory.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::Value;

use crate::drive_helpers::{file_url, get_ok, put_path, upload_query};
use crate::helpers::{TestApp, PASSWORD};

/// `GET /files/{id}/versions` (200).
pub async fn versions(app: &TestApp, token: &str, file: i64) -> Value {
    get_ok(app, &format!("{}/versions", file_url(file)), token).await
}

pub fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().expect("items").clone()
}

pub fn vid(version: &Value) -> i64 {
    version["id"].as_i64().expect("version id")
}

/// The sha256 of every version, newest first.
pub async fn history(app: &TestApp, token: &str, file: i64) -> Vec<String> {
    let list = versions(app, token, file).await;
    let shas = items(&list)
        .into_iter()
        .map(|v| v["sha256"].as_str().expect("sha").to_owned());
    shas.collect()
}

/// A version's bytes (200).
pub async fn version_bytes(app: &TestApp, token: &str, file: i64, version: i64) -> Vec<u8> {
    let url = format!("{}/versions/{version}/content", file_url(file));
    let reply = app.get(&url, Some(token)).await;
    reply.assert_status(200);
    reply.body
}

/// The file's current bytes (200).
pub async fn content(app: &TestApp, token: &str, file: i64) -> Vec<u8> {
    let reply = app
        .get(&format!("{}/content", file_url(file)), Some(token))
        .await;
    reply.assert_status(200);
    reply.body
}

/// Replaces the content of `/name` (owned by the user `alice`, whose token is `token`)
/// through `door`: `multipart` (`on_conflict=overwrite`), `put` (by path), `tus`
/// (`on_conflict=overwrite`, creation-with-upload) or `webdav` (`PUT /dav/name`).
pub async fn replace(app: &TestApp, token: &str, door: &str, name: &str, bytes: &[u8]) {
    match door {
        "multipart" => {
            upload_query(app, token, "?on_conflict=overwrite", name, bytes).await;
        }
        "put" => put_path(app, token, &format!("/{name}"), bytes)
            .await
            .assert_status(200),
        "tus" => tus_overwrite(app, token, name, bytes).await,
        "webdav" => {
            let auth = format!("Basic {}", STANDARD.encode(format!("alice:{PASSWORD}")));
            let url = format!("/dav/{name}");
            let reply = app
                .send_raw(
                    Method::PUT,
                    &url,
                    &[("authorization", &auth)],
                    bytes.to_vec(),
                )
                .await;
            reply.assert_status(204);
        }
        other => panic!("no door {other}"),
    }
}

/// A tus upload with `on_conflict=overwrite`, all bytes in the creation request.
async fn tus_overwrite(app: &TestApp, token: &str, name: &str, bytes: &[u8]) {
    let metadata = format!(
        "filename {},on_conflict {}",
        STANDARD.encode(name),
        STANDARD.encode("overwrite")
    );
    let (auth, length) = (format!("Bearer {token}"), bytes.len().to_string());
    let headers = [
        ("authorization", auth.as_str()),
        ("tus-resumable", "1.0.0"),
        ("content-type", "application/offset+octet-stream"),
        ("upload-length", length.as_str()),
        ("upload-metadata", metadata.as_str()),
    ];
    let reply = app
        .send_raw(Method::POST, "/api/v1/uploads", &headers, bytes.to_vec())
        .await;
    reply.assert_status(201);
    assert_eq!(reply.header("upload-offset"), Some(length.as_str()));
}

/// `hoard check` finds nothing wrong in the app's data directory (and its bucket, on the S3
/// backend).
pub async fn assert_clean(app: &TestApp) {
    let problems = check(app, false).await;
    assert!(problems.is_empty(), "{problems:?}");
}

/// `hoard check [--repair]` of the app: what it reports (or, repairing, leaves).
pub async fn check(app: &TestApp, repair: bool) -> Vec<String> {
    let state = &app.state;
    let options = hoard::service::check::CheckOptions {
        repair,
        ..Default::default()
    };
    let store = state.drive.store();
    hoard::service::check::check_store(&state.db, store, &state.data_dir, options)
        .await
        .expect("check")
        .iter()
        .map(ToString::to_string)
        .collect()
}
