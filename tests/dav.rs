//! WebDAV (SPEC §11) at the request level, against the real `hoard` binary on a loopback
//! port: what Windows Explorer and macOS Finder send, credentials, every method's rules,
//! hostile input, and that the API and WebDAV see one drive. The real clients (litmus,
//! rclone, davfs2, cadaver) are in tests/dav_clients.rs.
//!
//! Requests go over a raw socket (tests/dav/client.rs), so each test owns every byte.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "dav/client.rs"]
mod client;
#[path = "dav/credentials.rs"]
mod credentials;
#[path = "dav/explorer_finder.rs"]
mod explorer_finder;
#[path = "dav/hostile.rs"]
mod hostile;
#[path = "dav/methods.rs"]
mod methods;

use std::path::Path;

use serde_json::{json, Value};
use tempfile::TempDir;

use client::{basic, send, Body, Reply};
use support::server::{curl, Server};

pub const PASSWORD: &str = "Mount-the-drive-42!";

/// A fresh server with `extra` TOML appended to a config that lets many users register.
pub fn serve(extra: &str) -> (TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hoard.toml");
    let text = format!("[auth]\nregistrations_per_ip_per_hour = 100000\n{extra}\n");
    std::fs::write(&config, text).unwrap();
    let server = Server::start_with_config(&dir.path().join("data"), &config);
    (dir, server)
}

/// A signed-up user of a server, speaking WebDAV with Basic and their password.
pub struct User<'a> {
    pub server: &'a Server,
    pub name: String,
    pub access: String,
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl<'a> User<'a> {
    pub fn new(server: &'a Server, prefix: &str) -> Self {
        let name = unique(prefix);
        let reply = server.register(&name, PASSWORD);
        let access = reply["tokens"]["access_token"].as_str().unwrap().to_owned();
        Self {
            server,
            name,
            access,
        }
    }

    pub fn addr(&self) -> String {
        self.server.base.trim_start_matches("http://").to_owned()
    }

    pub fn basic(&self) -> String {
        basic(&self.name, PASSWORD)
    }

    /// A WebDAV request with Basic and the password, plus `headers`.
    pub fn dav(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Body) -> Reply {
        let auth = self.basic();
        let mut all = vec![("Authorization", auth.as_str())];
        all.extend_from_slice(headers);
        send(&self.addr(), method, path, &all, body)
    }

    pub fn put(&self, path: &str, bytes: &[u8]) -> Reply {
        self.dav("PUT", path, &[], Body::Bytes(bytes))
    }

    pub fn mkcol(&self, path: &str) -> Reply {
        self.dav("MKCOL", path, &[], Body::None)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.dav("GET", path, &[], Body::None)
    }

    pub fn propfind(&self, path: &str, depth: &str, body: &str) -> Reply {
        let headers = [("Depth", depth), ("Content-Type", "application/xml")];
        match body.is_empty() {
            true => self.dav("PROPFIND", path, &headers, Body::None),
            false => self.dav("PROPFIND", path, &headers, Body::Bytes(body.as_bytes())),
        }
    }

    /// An API call with the user's access token: (status, JSON).
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let auth = format!("Authorization: Bearer {}", self.access);
        let url = self.server.url(path);
        let mut args = vec!["-X", method, "-H", auth.as_str()];
        let text = body.map(|b| b.to_string());
        if let Some(text) = &text {
            args.extend(["-H", "Content-Type: application/json", "-d", text.as_str()]);
        }
        args.push(url.as_str());
        let (status, bytes) = curl(&args);
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// A personal API token (an app password) named `name`.
    pub fn app_password(&self, name: &str) -> (i64, String) {
        let (status, body) = self.api("POST", "/api/v1/auth/tokens", Some(json!({"name": name})));
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_i64().unwrap(),
            body["token"].as_str().unwrap().to_owned(),
        )
    }

    /// The names in a folder's API listing (`parent_id` None: the root).
    pub fn api_names(&self, parent: Option<i64>) -> Vec<String> {
        let path = match parent {
            Some(id) => format!("/api/v1/files?parent_id={id}&limit=1000"),
            None => "/api/v1/files?limit=1000".to_owned(),
        };
        let (status, body) = self.api("GET", &path, None);
        assert_eq!(status, 200, "{body}");
        let mut names: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The API entry at a path of the user's tree.
    pub fn api_entry(&self, path: &str) -> (u16, Value) {
        let query = path.replace(' ', "%20");
        self.api("GET", &format!("/api/v1/files/by-path?path={query}"), None)
    }

    /// The user's trash, as the API lists it.
    pub fn trash(&self) -> Vec<Value> {
        let (status, body) = self.api("GET", "/api/v1/trash", None);
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    /// `storage_used` of the user.
    pub fn used(&self) -> i64 {
        let (_, me) = self.api("GET", "/api/v1/users/me", None);
        me["storage_used"].as_i64().unwrap()
    }
}

/// `hoard check` on a server's data dir (safe while it serves): (exit code, output).
pub fn check(data: &Path) -> (i32, String) {
    let out = support::server::hoard_command(data)
        .arg("check")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The `<D:href>` values of a multistatus, in order.
pub fn hrefs(xml: &str) -> Vec<String> {
    xml.split("<D:href>")
        .skip(1)
        .filter_map(|s| s.split("</D:href>").next())
        .map(str::to_owned)
        .collect()
}
