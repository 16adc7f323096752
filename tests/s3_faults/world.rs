//! What the object-store fault tests share: a Hoard on its own SeaweedFS, curl with the
//! answer's headers, polling with a bound, and the database and the bucket read directly
//! to hold them against each other.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::random::{sha256_hex, write_random};
use crate::support::seaweed::Seaweed;
use crate::support::server::{curl, free_port, hoard_command, Server};

pub const PASSWORD: &str = "Object-store-faults-42!";
/// Where Hoard keeps its objects in the bucket.
pub const PREFIX: &str = "hoard/";
/// `storage.upload_expiry_s`: an object intent older than this is an upload that died,
/// and the sweeper runs every half of it. Longer than any upload here takes to begin its
/// parts, short enough to wait for.
pub const GRACE_S: u64 = 6;
/// The longest a clean-up by the sweeper may take: the grace, a round, and the store's
/// own retries.
pub const SWEPT_WITHIN: Duration = Duration::from_secs(45);

/// Hoard's `[storage]` settings for `store`, with the bucket and credentials given, as
/// environment variables: every one `HOARD_TEST_BACKEND=s3` sets is among them, so these
/// win over the suites' shared store whether or not that is set.
pub fn storage_env(
    store: &Seaweed,
    bucket: &str,
    key_id: &str,
    secret: &str,
) -> Vec<(String, String)> {
    let grace = GRACE_S.to_string();
    let settings = [
        ("BACKEND", "s3"),
        ("UPLOAD_EXPIRY_S", &grace),
        ("S3_ENDPOINT", &store.endpoint),
        ("S3_REGION", &store.region),
        ("S3_BUCKET", bucket),
        ("S3_PREFIX", PREFIX),
        ("S3_ACCESS_KEY_ID", key_id),
        ("S3_SECRET_ACCESS_KEY", secret),
        ("S3_PATH_STYLE", "true"),
    ];
    settings
        .map(|(key, value)| (format!("HOARD_STORAGE_{key}"), value.to_owned()))
        .to_vec()
}

/// [`storage_env`] with the store's own bucket and credentials.
pub fn own_store(store: &Seaweed) -> Vec<(String, String)> {
    storage_env(store, &store.bucket, &store.access_key, &store.secret_key)
}

/// A Hoard in a fresh temp dir whose blobs live in `store`, serving, with a signed-up
/// admin whose token it sends.
pub fn hoard_on(store: &Seaweed) -> (TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with_env(&dir.path().join("data"), &own_store(store));
    server.sign_up("alice", PASSWORD);
    (dir, server)
}

/// One answer: status, headers (of the last response, after any `100 Continue`), body.
pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// 503 `unavailable` with `Retry-After` (SPEC §14: never 500, never a success).
    pub fn assert_unavailable(&self, what: &str) {
        let text = String::from_utf8_lossy(&self.body);
        assert_eq!(self.status, 503, "{what}: {text}");
        assert_eq!(self.json()["code"], "unavailable", "{what}: {text}");
        assert_eq!(
            self.header("retry-after").as_deref(),
            Some("5"),
            "{what}: {}",
            self.headers
        );
    }
}

/// `server.call` that also keeps the answer's headers.
pub fn request(server: &Server, path: &str, extra: &[&str]) -> Reply {
    let headers = tempfile::NamedTempFile::new().unwrap();
    let dump = headers.path().to_str().unwrap();
    let (status, body) = server.call(path, &[&["-D", dump], extra].concat());
    let all = fs::read_to_string(headers.path()).unwrap_or_default();
    // The last response's block: a `100 Continue` may come first.
    let last = all
        .trim_end()
        .rsplit("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_owned();
    Reply {
        status,
        headers: last,
        body,
    }
}

/// Writes `size` seeded bytes to `dir/NAME` and PUTs them to `/NAME`: (file id, sha256).
pub fn put_new(server: &Server, dir: &Path, name: &str, size: u64, seed: u64) -> (u64, String) {
    let local = dir.join(name);
    let sha256 = write_random(&local, size, seed);
    let (id, _) = put(server, &local, name);
    (id, sha256)
}

/// PUTs a local file to `/NAME`, asserting 201: (file id, entry).
pub fn put(server: &Server, local: &Path, name: &str) -> (u64, Value) {
    let route = format!("/api/v1/files/by-path?path=/{name}");
    let (status, entry) = server.json(&route, &["-T", local.to_str().unwrap()]);
    assert_eq!(status, 201, "{name}: {entry}");
    (entry["id"].as_u64().unwrap(), entry)
}

/// The sha256 of a file's content as downloaded now, asserting 200.
pub fn downloaded(server: &Server, id: u64) -> String {
    let (status, body) = server.call(&format!("/api/v1/files/{id}/content"), &[]);
    assert_eq!(status, 200, "file {id}: {}", String::from_utf8_lossy(&body));
    sha256_hex(&body)
}

/// My `storage_used`.
pub fn usage(server: &Server) -> i64 {
    let (status, me) = server.json("/api/v1/users/me", &[]);
    assert_eq!(status, 200, "{me}");
    me["storage_used"].as_i64().unwrap()
}

/// `GET /health`: (status, body).
pub fn health(server: &Server) -> (u16, Value) {
    server.json("/health", &[])
}

/// Polls `probe` every 50 ms until it gives a value; fails after `within`.
pub fn wait_for<T>(what: &str, within: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The keys of the object intents in the database.
pub fn intents(data: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(data.join("hoard.db")).unwrap();
    let mut rows = db
        .prepare("SELECT key FROM object_intents ORDER BY key")
        .unwrap();
    let found = rows.query_map([], |r| r.get(0));
    found.unwrap().map(Result::unwrap).collect()
}

/// The objects blob rows name, as bucket keys with the rows' sizes, sorted.
pub fn object_rows(data: &Path) -> Vec<(String, u64)> {
    let db = rusqlite::Connection::open(data.join("hoard.db")).unwrap();
    let mut rows = db
        .prepare("SELECT object_key, size FROM blobs ORDER BY object_key")
        .unwrap();
    let found = rows.query_map([], |r| {
        let key: Option<String> = r.get(0)?;
        let key = key.expect("every blob is in the object store");
        Ok((format!("{PREFIX}{key}"), r.get::<_, i64>(1)? as u64))
    });
    found.unwrap().map(Result::unwrap).collect()
}

/// Waits until the sweeper has settled every object intent; returns how long it took.
pub fn swept(data: &Path) -> Duration {
    let began = Instant::now();
    wait_for("the sweeper to settle every intent", SWEPT_WITHIN, || {
        intents(data).is_empty().then_some(())
    });
    began.elapsed()
}

/// The database and the bucket agree: every blob row's object is there with the row's
/// size, nothing else is under the prefix, and no multipart upload is left open.
pub fn assert_bucket_matches_db(store: &Seaweed, data: &Path) {
    let mut listed = store.sizes(PREFIX);
    listed.sort();
    assert_eq!(
        listed,
        object_rows(data),
        "the bucket against the blob rows"
    );
    let open = store.uploads(PREFIX);
    assert!(open.is_empty(), "multipart uploads left open: {open:?}");
}

/// `hoard check` on `store` exits 0: the bucket and the database agree.
pub fn assert_check_clean(data: &Path, store: &Seaweed) {
    let out = hoard_command(data)
        .envs(own_store(store))
        .arg("check")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{printed}\n{errors}");
}

/// `hoard serve` with `env` that is expected to stop on its own: (exit code, stderr).
/// Fails when it still runs after 30 s (it serves instead of refusing).
pub fn serve_refused(data: &Path, env: &[(String, String)]) -> (Option<i32>, String) {
    let log = data.with_extension("refused.log");
    let bind = format!("127.0.0.1:{}", free_port());
    let mut hoard = hoard_command(data)
        .envs(env.iter().cloned())
        .args(["--bind", &bind, "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = hoard.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = hoard.kill();
            let _ = hoard.wait();
            let said = fs::read_to_string(&log).unwrap_or_default();
            panic!("hoard serve did not stop on its own; its log:\n{said}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.code(), fs::read_to_string(&log).unwrap_or_default())
}

/// `hoard serve` started without waiting for health (the store may be away): the child
/// and its base URL.
pub fn serve_anyway(data: &Path, env: &[(String, String)]) -> (std::process::Child, String) {
    let port = free_port();
    let child = hoard_command(data)
        .envs(env.iter().cloned())
        .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(data.with_extension("anyway.log")).unwrap())
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

/// `GET BASE/health` without credentials: (status, body; Null when none came).
pub fn health_at(base: &str) -> (u16, Value) {
    let (status, body) = curl(&["-m", "10", &format!("{base}/health")]);
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Kills a process by id with SIGKILL (one whose `Child` another thread holds).
pub fn kill9(pid: u32) {
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {pid}");
}
