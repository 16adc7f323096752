//! Helpers shared by the drive tests (files, trash, content, isolation, quota): uploads with
//! hand-built multipart bodies, listings, and views of the database and the blob store.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

pub const FILES: &str = "/api/v1/files";
pub const FOLDERS: &str = "/api/v1/folders";
pub const TRASH: &str = "/api/v1/trash";
const BOUNDARY: &str = "hoard-drive-test-boundary-q7Xz";

/// One part of a `multipart/form-data` body, written byte for byte as given (so names that
/// a well-behaved client would escape, such as `a\b`, reach the server unchanged).
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Vec<u8>,
}

/// A `file` part.
pub fn file_part(filename: &str, data: &[u8]) -> Part {
    Part {
        name: "file".into(),
        filename: Some(filename.into()),
        content_type: Some("application/octet-stream".into()),
        data: data.to_vec(),
    }
}

/// A text field.
pub fn text_part(name: &str, value: &str) -> Part {
    Part {
        name: name.into(),
        filename: None,
        content_type: None,
        data: value.as_bytes().to_vec(),
    }
}

pub fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", part.name);
        if let Some(filename) = &part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = &part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `POST /files{query}` with these parts.
pub async fn upload_parts(app: &TestApp, token: &str, query: &str, parts: &[Part]) -> Reply {
    let bearer = format!("Bearer {token}");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", content_type.as_str()),
    ];
    let path = format!("{FILES}{query}");
    app.send_raw(Method::POST, &path, &headers, multipart_body(parts))
        .await
}

/// Uploads one file to the root; asserts 201 and returns its entry.
pub async fn upload(app: &TestApp, token: &str, name: &str, data: &[u8]) -> Value {
    upload_query(app, token, "", name, data).await
}

/// Uploads one file into `parent`; asserts 201 and returns its entry.
pub async fn upload_into(
    app: &TestApp,
    token: &str,
    parent: i64,
    name: &str,
    data: &[u8],
) -> Value {
    upload_query(app, token, &format!("?parent_id={parent}"), name, data).await
}

pub async fn upload_query(
    app: &TestApp,
    token: &str,
    query: &str,
    name: &str,
    data: &[u8],
) -> Value {
    let reply = upload_parts(app, token, query, &[file_part(name, data)]).await;
    reply.assert_status(201);
    let items = reply.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    items[0].clone()
}

/// `PUT /files/by-path?path=…` with a raw body and no Content-Type.
pub async fn put_path(app: &TestApp, token: &str, path: &str, data: &[u8]) -> Reply {
    let bearer = format!("Bearer {token}");
    let url = format!("{FILES}/by-path?path={}", enc(path));
    app.send_raw(
        Method::PUT,
        &url,
        &[("authorization", bearer.as_str())],
        data.to_vec(),
    )
    .await
}

/// Creates a folder; asserts 201 and returns it.
pub async fn mkdir(app: &TestApp, token: &str, name: &str, parent: Option<i64>) -> Value {
    let reply = app
        .post(
            FOLDERS,
            Some(token),
            json!({"name": name, "parent_id": parent}),
        )
        .await;
    reply.assert_status(201);
    reply.json()
}

/// `GET` that must answer 200; returns the JSON body.
pub async fn get_ok(app: &TestApp, path: &str, token: &str) -> Value {
    let reply = app.get(path, Some(token)).await;
    reply.assert_status(200);
    reply.json()
}

/// `GET /files{query}` (200), e.g. `list(app, t, "?parent_id=3&sort=size")`.
pub async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    get_ok(app, &format!("{FILES}{query}"), token).await
}

/// `GET /trash` (200).
pub async fn trash_list(app: &TestApp, token: &str) -> Value {
    get_ok(app, TRASH, token).await
}

/// The `name`s of a list's items, in order.
pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_owned())
        .collect()
}

pub fn id(entry: &Value) -> i64 {
    entry["id"].as_i64().expect("id")
}

pub fn file_url(id: i64) -> String {
    format!("{FILES}/{id}")
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn enc(text: &str) -> String {
    hoard::store::s3::percent(text)
}

/// Decodes `%XX` escapes into UTF-8.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex digit"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// The name carried by `filename*=UTF-8''…` of a Content-Disposition value.
pub fn disposition_name(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .expect("filename*");
    percent_decode(encoded.split(';').next().unwrap_or_default().trim())
}

pub use crate::support::random::sha256_hex as sha_hex;

/// Every regular file below `dir` (recursively), sorted; empty when `dir` is missing.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The hashes of the stored blobs, sorted: blob files on disk, or, on the S3 backend, the
/// objects under the app's prefix, each named by the hash its blob row maps it to (an
/// object no row names shows as `unreferenced <key>`).
pub fn blob_files(app: &TestApp) -> Vec<String> {
    if on_s3() {
        return blob_objects(app);
    }
    files_under(&app.data_dir().join("blobs"))
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect()
}

fn blob_objects(app: &TestApp) -> Vec<String> {
    let prefix = app.state.config.storage.s3_prefix.clone();
    let keys = crate::support::seaweed::Seaweed::shared().keys(&format!("{prefix}objects/"));
    let db = app.db();
    let mut hashes: Vec<String> = keys
        .iter()
        .map(|key| {
            let key = key.strip_prefix(&prefix).unwrap_or(key);
            db.query_row(
                "SELECT sha256 FROM blobs WHERE object_key = ?1",
                [key],
                |r| r.get(0),
            )
            .unwrap_or_else(|_| format!("unreferenced {key}"))
        })
        .collect();
    hashes.sort();
    hashes
}

/// The stored bytes of the blob `sha256` (its file, or its object on the S3 backend).
pub fn stored_blob(app: &TestApp, sha256: &str) -> Result<Vec<u8>, String> {
    if !on_s3() {
        return std::fs::read(blob_path(app, sha256)).map_err(|e| e.to_string());
    }
    let key: String = app
        .db()
        .query_row(
            "SELECT object_key FROM blobs WHERE sha256 = ?1",
            [sha256],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let prefix = &app.state.config.storage.s3_prefix;
    let seaweed = crate::support::seaweed::Seaweed::shared();
    match seaweed.s3("GET", &format!("{prefix}{key}"), &[]) {
        (200, bytes) => Ok(bytes),
        (status, body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
    }
}

/// Where the blob of `sha256` lives.
pub fn blob_path(app: &TestApp, sha256: &str) -> PathBuf {
    app.data_dir()
        .join("blobs")
        .join(&sha256[0..2])
        .join(&sha256[2..4])
        .join(sha256)
}

/// Files in `data/tmp` (uploads in flight).
pub fn tmp_files(app: &TestApp) -> Vec<PathBuf> {
    files_under(&app.data_dir().join("tmp"))
}

/// `users.storage_used`, read from the database.
pub fn storage_used(app: &TestApp, user: i64) -> i64 {
    app.db()
        .query_row(
            "SELECT storage_used FROM users WHERE id = ?1",
            [user],
            |r| r.get(0),
        )
        .expect("storage_used")
}

/// The sum of the sizes of a user's entries, trash and versions included.
pub fn sum_of_sizes(app: &TestApp, user: i64) -> i64 {
    app.db()
        .query_row(
            "SELECT (SELECT COALESCE(SUM(size), 0) FROM entries WHERE owner_id = ?1)
                  + (SELECT COALESCE(SUM(size), 0) FROM file_versions WHERE owner_id = ?1)",
            [user],
            |r| r.get(0),
        )
        .expect("sum")
}

/// How many rows of `entries` a user owns (live and trashed).
pub fn entry_rows(app: &TestApp, user: i64) -> i64 {
    app.db()
        .query_row(
            "SELECT COUNT(*) FROM entries WHERE owner_id = ?1",
            [user],
            |r| r.get(0),
        )
        .expect("count")
}

/// `blobs.refs` of a hash; None when it has no row.
pub fn blob_refs(app: &TestApp, sha256: &str) -> Option<i64> {
    use rusqlite::OptionalExtension;
    app.db()
        .query_row("SELECT refs FROM blobs WHERE sha256 = ?1", [sha256], |r| {
            r.get(0)
        })
        .optional()
        .expect("refs")
}

/// Sets a user's quota as the admin (200).
pub async fn set_quota(app: &TestApp, admin: &str, user: i64, quota: Option<i64>) {
    app.patch(
        &format!("/api/v1/users/{user}"),
        Some(admin),
        json!({"storage_quota": quota}),
    )
    .await
    .assert_status(200);
}
