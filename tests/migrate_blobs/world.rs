//! A data directory for the migration tests: a config file naming the shared object store
//! under a prefix of its own, files uploaded through a real server (then stopped), and
//! what the tests read back — rows, intents, the bucket, command output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::support::random::{sha256_hex, sha256_of, write_random};
use crate::support::seaweed::Seaweed;
use crate::support::server::Server;

pub struct World {
    pub dir: TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    /// This test's key prefix in the bucket (`storage.s3_prefix`).
    pub prefix: String,
    pub store: &'static Seaweed,
    /// The uploader's access token.
    pub token: String,
}

impl World {
    /// A data dir (backend local) holding `files` (name, size, seed), uploaded by a server
    /// that is stopped again; the files' bytes are kept beside it under their names.
    pub fn filled(prefix: &str, files: &[(&str, u64, u64)]) -> Self {
        let matrix = std::env::var("HOARD_TEST_BACKEND").unwrap_or_default();
        assert!(
            matrix != "s3",
            "these tests choose each backend themselves; run them without HOARD_TEST_BACKEND"
        );
        let store = Seaweed::shared();
        let dir = tempfile::tempdir().unwrap();
        let (data, config) = (dir.path().join("data"), dir.path().join("hoard.toml"));
        fs::write(&config, config_text(store, prefix)).unwrap();
        let mut server = Server::start_with_config(&data, &config);
        server.sign_up("mover", super::PASSWORD);
        for (name, size, seed) in files {
            let file = dir.path().join(name);
            write_random(&file, *size, *seed);
            let route = format!("/api/v1/files/by-path?path=/{name}");
            let (status, body) = server.call(&route, &["-T", file.to_str().unwrap()]);
            assert_eq!(status, 201, "{name}: {}", String::from_utf8_lossy(&body));
        }
        let token = server.token.clone();
        let (stopped, log) = server.stop();
        assert!(stopped, "{log}");
        Self {
            dir,
            data,
            config,
            prefix: prefix.to_owned(),
            store,
            token,
        }
    }

    /// `hoard --data-dir DATA --config CONFIG ARGS…` with no HOARD_* from the test's
    /// environment, ready to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut hoard = self.bare(&[]);
        hoard.arg("--config").arg(&self.config).args(args);
        hoard
    }

    /// `hoard --data-dir DATA ARGS…`, no config file, no HOARD_* from the test's environment.
    fn bare(&self, args: &[&str]) -> Command {
        let mut hoard = Command::new(env!("CARGO_BIN_EXE_hoard"));
        hoard.arg("--data-dir").arg(&self.data).args(args);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("HOARD_")) {
            hoard.env_remove(key);
        }
        hoard.env_remove("RUST_LOG").stdin(Stdio::null());
        hoard
    }

    /// Runs a command to its end: (exit code, stdout lines in order, stderr).
    pub fn hoard(&self, args: &[&str]) -> (i32, Vec<String>, String) {
        self.hoard_with(args, &[])
    }

    /// The same with environment variables set.
    pub fn hoard_with(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, Vec<String>, String) {
        finish(self.command(args).envs(env.iter().copied()))
    }

    /// The same without the config file: the object store's keys (and `env`) from the
    /// environment.
    pub fn hoard_without_config(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, Vec<String>, String) {
        let store = self.store;
        let keys = [
            ("HOARD_STORAGE_S3_ENDPOINT", store.endpoint.as_str()),
            ("HOARD_STORAGE_S3_REGION", &store.region),
            ("HOARD_STORAGE_S3_BUCKET", &store.bucket),
            ("HOARD_STORAGE_S3_PREFIX", &self.prefix),
            ("HOARD_STORAGE_S3_ACCESS_KEY_ID", &store.access_key),
            ("HOARD_STORAGE_S3_SECRET_ACCESS_KEY", &store.secret_key),
        ];
        finish(self.bare(args).envs(keys).envs(env.iter().copied()))
    }

    /// `hoard check ARGS…`: (exit code, its lines sorted).
    pub fn check(&self, args: &[&str]) -> (i32, Vec<String>) {
        let (code, mut lines, stderr) = self.hoard(&[&["check"], args].concat());
        assert!(code == 0 || !lines.is_empty(), "{stderr}");
        lines.sort();
        (code, lines)
    }

    /// `storage.backend = "NAME" written to CONFIG`
    pub fn switched_line(&self, backend: &str) -> String {
        let config = self.config.display();
        format!("storage.backend = \"{backend}\" written to {config}")
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data.join("hoard.db")).unwrap()
    }

    /// Every blob row: (sha256, size, object key), by hash.
    pub fn rows(&self) -> Vec<(String, i64, Option<String>)> {
        let db = self.db();
        let mut query = db
            .prepare("SELECT sha256, size, object_key FROM blobs ORDER BY sha256")
            .unwrap();
        let rows = query.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
        rows.unwrap().map(Result::unwrap).collect()
    }

    /// Every object intent: (key, created_at), by key.
    pub fn intents(&self) -> Vec<(String, i64)> {
        let db = self.db();
        let mut query = db
            .prepare("SELECT key, created_at FROM object_intents ORDER BY key")
            .unwrap();
        let rows = query.query_map([], |r| Ok((r.get(0)?, r.get(1)?)));
        rows.unwrap().map(Result::unwrap).collect()
    }

    /// Records an intent as the server would (created_at 0: a released blob's object).
    pub fn intend(&self, key: &str, created_at: i64) {
        let insert = "INSERT INTO object_intents (key, created_at) VALUES (?1, ?2)";
        self.db()
            .execute(insert, rusqlite::params![key, created_at])
            .unwrap();
    }

    /// The keys rows name, sorted.
    pub fn named_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.rows().into_iter().filter_map(|r| r.2).collect();
        keys.sort();
        keys
    }

    /// The key of the row of `sha256`.
    pub fn key_of(&self, sha256: &str) -> String {
        let rows = self.rows();
        let row = rows.iter().find(|r| r.0 == sha256).expect("a row");
        row.2.clone().expect("an object key")
    }

    /// The keys of this test's objects in the bucket (without the prefix), sorted.
    pub fn bucket(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .store
            .keys(&format!("{}objects/", self.prefix))
            .into_iter()
            .map(|key| key.strip_prefix(&self.prefix).unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    }

    /// The key in the bucket of one of this test's keys.
    pub fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Writes `file` as the object `key`, over whatever is there.
    pub fn put(&self, key: &str, file: &Path) {
        let upload = ["-T", file.to_str().unwrap()];
        assert_eq!(self.store.s3("PUT", &self.full(key), &upload).0, 200);
    }

    /// The sha256 of an object's bytes.
    pub fn object_sha(&self, key: &str) -> String {
        let (status, body) = self.store.s3("GET", &self.full(key), &[]);
        assert_eq!(status, 200, "{key}");
        sha256_hex(&body)
    }

    /// A server on this data dir and config serves every one of `files` byte for byte.
    pub fn assert_served(&self, files: &[(&str, u64, u64)]) {
        let mut server = Server::start_with_config(&self.data, &self.config);
        server.token = self.token.clone();
        for (name, _, _) in files {
            assert_eq!(download(&server, name), self.sha_of(name), "{name}");
        }
        let (stopped, log) = server.stop();
        assert!(stopped, "{log}");
    }

    /// The sha256 of the bytes uploaded as `name`.
    pub fn sha_of(&self, name: &str) -> String {
        sha256_of(&self.dir.path().join(name)).0
    }
}

/// Runs `command` to its end: (exit code, stdout lines in order, stderr).
fn finish(command: &mut Command) -> (i32, Vec<String>, String) {
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = stdout.lines().map(Into::into).collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), lines, stderr)
}

/// The config file: backend local, the object store's keys, under `prefix`.
fn config_text(store: &Seaweed, prefix: &str) -> String {
    format!(
        "# A Hoard whose blobs move.\n\n[storage]\nbackend = \"local\" # hoard migrate-blobs switches this\n\
         s3_endpoint = \"{}\"\ns3_region = \"{}\"\ns3_bucket = \"{}\"\ns3_prefix = \"{prefix}\"\n\
         s3_access_key_id = \"{}\"\ns3_secret_access_key = \"{}\"\ns3_path_style = true\n\n\
         [log]\nlevel = \"warn\"\n",
        store.endpoint, store.region, store.bucket, store.access_key, store.secret_key
    )
}

/// Where the local store keeps a blob.
pub fn blob_path(data: &Path, sha256: &str) -> PathBuf {
    data.join("blobs")
        .join(&sha256[..2])
        .join(&sha256[2..4])
        .join(sha256)
}

/// The sha256 of the bytes a file at the root serves.
fn download(server: &Server, name: &str) -> String {
    let (status, entry) = server.json(&format!("/api/v1/files/by-path?path=/{name}"), &[]);
    assert_eq!(status, 200, "{entry}");
    let (status, body) = server.call(&format!("/api/v1/files/{}/content", entry["id"]), &[]);
    assert_eq!(status, 200, "{name}");
    sha256_hex(&body)
}

/// Unix seconds now.
pub fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_secs() as i64
}
