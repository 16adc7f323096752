//! What the WebDAV client tests ask of a real server beyond tests/support/server.rs: an
//! account with an app password, `/dav/` URLs and WebDAV requests with curl, the drive as the
//! REST API sees it (a folder's files, one path, the trash), the clients' programs run with
//! a time bound, and the closing `hoard check`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tempfile::TempDir;
use unicode_normalization::UnicodeNormalization;

use crate::support::random::sha256_of;
use crate::support::server::{curl, hoard_command, Server};

/// A password that passes the strength policy.
pub const PASSWORD: &str = "Dav-clients-mount-42!";

/// One file: (size, sha256).
pub type Sum = (u64, String);

/// A fresh server with one account, its app password, and a scratch dir.
pub struct World {
    pub dir: TempDir,
    pub server: Server,
    pub user: String,
    /// A personal API token (`hoard_pat_…`): the "app password" clients sign in with.
    pub app_password: String,
}

impl World {
    /// `Server::fresh` plus `POST /api/v1/auth/tokens` for an app password.
    pub fn new(user: &str) -> Self {
        let (dir, server) = Server::fresh(user, PASSWORD);
        let body = json!({ "name": format!("{user} WebDAV client") }).to_string();
        let (status, reply) = server.json(
            "/api/v1/auth/tokens",
            &["-H", "Content-Type: application/json", "-d", &body],
        );
        assert_eq!(status, 201, "POST /api/v1/auth/tokens: {reply}");
        let app_password = reply["token"].as_str().unwrap().to_owned();
        assert!(app_password.starts_with("hoard_pat_"), "{reply}");
        let user = user.to_owned();
        Self {
            dir,
            server,
            user,
            app_password,
        }
    }

    /// A scratch folder (created) in the temp dir.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::create_dir_all(&path).unwrap();
        path
    }

    /// `http://127.0.0.1:PORT/dav` + the percent-encoded `path` (which starts with `/`).
    pub fn dav_url(&self, path: &str) -> String {
        format!("{}/dav{}", self.server.base, encode_path(path))
    }

    /// A WebDAV request with Basic `user:app password`: (status, body).
    pub fn dav(&self, method: &str, path: &str, extra: &[&str]) -> (u16, Vec<u8>) {
        let credentials = format!("{}:{}", self.user, self.app_password);
        let url = self.dav_url(path);
        let head: &[&str] = &["-u", &credentials, "-X", method];
        curl(&[head, extra, &[url.as_str()]].concat())
    }

    /// `PROPFIND` with `Depth` (allprop): (status, the multistatus text).
    pub fn propfind(&self, path: &str, depth: &str) -> (u16, String) {
        let depth = format!("Depth: {depth}");
        let (status, body) = self.dav("PROPFIND", path, &["-H", &depth]);
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// `GET /api/v1/files/by-path`: the entry, or None on 404.
    pub fn entry(&self, path: &str) -> Option<Value> {
        let query = format!("path={path}");
        let (status, entry) = self
            .server
            .json("/api/v1/files/by-path", &["-G", "--data-urlencode", &query]);
        match status {
            200 => Some(entry),
            404 => None,
            _ => panic!("GET /api/v1/files/by-path?path={path}: {status} {entry}"),
        }
    }

    /// Every file below the folder `path`, as the REST API lists it: path relative to that
    /// folder → (size, sha256).
    pub fn files_below(&self, path: &str) -> BTreeMap<String, Sum> {
        let folder = self
            .entry(path)
            .unwrap_or_else(|| panic!("the REST API knows no folder {path}"));
        assert_eq!(folder["kind"], "folder", "{folder}");
        let prefix = format!("{}/", folder["path"].as_str().unwrap());
        let (mut files, mut folders) = (BTreeMap::new(), vec![folder["id"].as_u64().unwrap()]);
        while let Some(id) = folders.pop() {
            for entry in self.children(id) {
                if entry["kind"] == "folder" {
                    folders.push(entry["id"].as_u64().unwrap());
                    continue;
                }
                let full = entry["path"].as_str().unwrap();
                let relative = full.strip_prefix(&prefix).unwrap_or(full).to_owned();
                let size = entry["size"].as_u64().unwrap();
                let sha = entry["sha256"].as_str().unwrap().to_owned();
                files.insert(relative, (size, sha));
            }
        }
        files
    }

    /// `GET /api/v1/files?parent_id=ID`, every page.
    fn children(&self, id: u64) -> Vec<Value> {
        let mut items = Vec::new();
        loop {
            let route = format!(
                "/api/v1/files?parent_id={id}&limit=1000&offset={}",
                items.len()
            );
            let (status, page) = self.server.json(&route, &[]);
            assert_eq!(status, 200, "GET {route}: {page}");
            let got = page["items"].as_array().unwrap().clone();
            let total = page["total"].as_u64().unwrap() as usize;
            let empty = got.is_empty();
            items.extend(got);
            if empty || items.len() >= total {
                return items;
            }
        }
    }

    /// `GET /api/v1/trash`: the `original_path`s of every item.
    pub fn trashed_paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        loop {
            let route = format!("/api/v1/trash?limit=1000&offset={}", paths.len());
            let (status, page) = self.server.json(&route, &[]);
            assert_eq!(status, 200, "GET {route}: {page}");
            let items = page["items"].as_array().unwrap();
            paths.extend(
                items
                    .iter()
                    .map(|item| item["original_path"].as_str().unwrap().to_owned()),
            );
            if items.is_empty() || paths.len() as u64 >= page["total"].as_u64().unwrap() {
                return paths;
            }
        }
    }

    /// Stops the server with SIGTERM (it must exit cleanly), with no 5xx answer in its
    /// request log (SPEC §11: no method answers 500 for client input); then `hoard check` on
    /// its data dir must report `consistent`.
    pub fn finish(self) {
        let data = self.server.data.clone();
        let (clean, log) = self.server.stop();
        assert!(clean, "hoard did not stop cleanly; its log:\n{log}");
        let errors: Vec<&str> = log.lines().filter(|l| l.contains(" status=5")).collect();
        assert!(errors.is_empty(), "5xx answers:\n{}", errors.join("\n"));
        let out = hoard_command(&data).arg("check").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.trim() == "consistent",
            "hoard check after the run ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Percent-encodes each segment of a path (RFC 3986 unreserved characters stay).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() * 3);
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Every file below `root`: path relative to it, NFC-normalised as the server stores names
/// (SPEC §5) → (size, sha256).
pub fn local_files(root: &Path) -> BTreeMap<String, Sum> {
    local_walk(root)
        .into_iter()
        .map(|(path, file)| {
            let (sha, size) = sha256_of(&file);
            (path, (size, sha))
        })
        .collect()
}

/// Every file below `root`: NFC relative path → its whole-second modification time.
pub fn local_mtimes(root: &Path) -> BTreeMap<String, i64> {
    let seconds = |file: &Path| {
        let modified = fs::metadata(file).unwrap().modified().unwrap();
        modified.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    };
    local_walk(root)
        .into_iter()
        .map(|(path, file)| (path, seconds(&file)))
        .collect()
}

/// Every file below `root`: (NFC relative path, its path).
pub fn local_walk(root: &Path) -> Vec<(String, PathBuf)> {
    let (mut files, mut dirs) = (Vec::new(), vec![root.to_owned()]);
    while let Some(dir) = dirs.pop() {
        for item in fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
            files.push((relative.nfc().collect(), path));
        }
    }
    files
}

/// Sets a file's modification time to `seconds` after the epoch.
pub fn set_mtime(file: &Path, seconds: u64) {
    let handle = fs::File::options().write(true).open(file).unwrap();
    handle
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
        .unwrap();
}

/// Polls `done` every 100 ms until it holds; panics after `limit` with `what`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `program` is on the PATH, or a panic naming the Debian package (`.ci/run` installs it):
/// these tests never skip.
pub fn require(program: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{program}` is missing: apt-get install -y {package} (.ci/run installs it)"
    );
}

/// `timeout SECONDS PROGRAM`: a client that hangs is killed instead of wedging the run.
pub fn bounded(seconds: u32, program: &str) -> Command {
    let mut command = Command::new("timeout");
    command
        .args(["--kill-after=10", &seconds.to_string()])
        .arg(program)
        .stdin(Stdio::null());
    command
}

/// Runs a client; its stdout and stderr as one text, or a panic with both when it failed.
pub fn succeed(what: &str, command: &mut Command) -> String {
    let out = command.output().unwrap();
    let text = text_of(&out);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// stdout then stderr, lossily decoded.
pub fn text_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}
