//! What a user's drive looks like through the API, to compare two servers: every entry by
//! path with its kind, size and hash, the SHA-256 of the bytes each file downloads, and each
//! file's versions with the hash of their downloaded bytes.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::server::Server;

/// One entry as the API shows it.
#[derive(Debug, PartialEq, Eq)]
pub struct Item {
    pub kind: String,
    pub size: u64,
    pub sha256: Option<String>,
    /// SHA-256 of the downloaded bytes (files only).
    pub downloaded: Option<String>,
    /// (size, sha256, sha256 of the downloaded bytes) of each version, newest first.
    pub versions: Vec<(u64, String, String)>,
}

/// The whole drive of the server's token's user, by path. The children of `/many` are
/// listed, not entered (they are empty folders, and many).
pub fn snapshot(server: &Server) -> BTreeMap<String, Item> {
    let mut tree = BTreeMap::new();
    let mut folders = vec![None];
    while let Some(parent) = folders.pop() {
        for entry in children(server, parent) {
            let path = entry["path"].as_str().unwrap().to_owned();
            let item = item(server, &entry);
            if item.kind == "folder" && !path.starts_with("/many/") {
                folders.push(entry["id"].as_i64());
            }
            tree.insert(path, item);
        }
    }
    assert!(tree.len() > 10, "a drive of {} entries", tree.len());
    tree
}

/// Every child of `parent` (the root for None), page by page.
fn children(server: &Server, parent: Option<i64>) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let parent = parent
            .map(|id| format!("&parent_id={id}"))
            .unwrap_or_default();
        let url = format!("/api/v1/files?limit=1000&offset={}{parent}", all.len());
        let (status, page) = server.json(&url, &[]);
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        let done = items.len() < 1000;
        all.extend(items);
        if done {
            return all;
        }
    }
}

fn item(server: &Server, entry: &Value) -> Item {
    let (kind, id) = (
        entry["kind"].as_str().unwrap(),
        entry["id"].as_i64().unwrap(),
    );
    let is_file = kind == "file";
    Item {
        kind: kind.to_owned(),
        size: entry["size"].as_u64().unwrap_or(0),
        sha256: entry["sha256"].as_str().map(str::to_owned),
        downloaded: is_file.then(|| downloaded(server, &format!("/api/v1/files/{id}/download"))),
        versions: if is_file {
            versions(server, id)
        } else {
            Vec::new()
        },
    }
}

fn versions(server: &Server, id: i64) -> Vec<(u64, String, String)> {
    let (status, list) = server.json(&format!("/api/v1/files/{id}/versions"), &[]);
    assert_eq!(status, 200, "{list}");
    let versions = list["items"].as_array().unwrap().iter().map(|version| {
        let content = format!("/api/v1/files/{id}/versions/{}/content", version["id"]);
        let sha256 = version["sha256"].as_str().unwrap().to_owned();
        (
            version["size"].as_u64().unwrap(),
            sha256,
            downloaded(server, &content),
        )
    });
    versions.collect()
}

/// SHA-256 (hex) of what a GET of `path` answers, which must be 200.
fn downloaded(server: &Server, path: &str) -> String {
    let (status, bytes) = server.call(path, &[]);
    assert_eq!(status, 200, "{path}");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Logs in with (username, password); returns the access token.
pub fn login(server: &Server, (name, password): (&str, &str)) -> String {
    let body = json!({"username": name, "password": password}).to_string();
    let json_type = "Content-Type: application/json";
    let (status, reply) = server.json("/api/v1/auth/login", &["-H", json_type, "-d", &body]);
    assert_eq!(status, 200, "{name}: {reply}");
    reply["tokens"]["access_token"].as_str().unwrap().to_owned()
}
