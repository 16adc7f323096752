//! The browser tests: the real `hoard` binary on a free loopback port, with an admin made by
//! `hoard user add --admin`, and Node's test runner over `tests/ui/specs/*.test.mjs`, which
//! drive Debian's Chromium through playwright-core (tests/ui/harness.mjs).
//!
//! Prerequisites (`.ci/run` installs them): `/usr/bin/chromium` (or `HOARD_CHROMIUM`), Node.js
//! ≥ 20 with npm, and curl. Chromium is installed with apt when missing and running as root;
//! otherwise the test fails and says how to install it. It never skips.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const ADMIN_USER: &str = "admin";
const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "Browser-tests-keep-7-keys!";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ui_dir() -> PathBuf {
    repo().join("tests").join("ui")
}

/// `hoard serve` on a data dir and a free loopback port; SIGKILLed (by PID) when dropped,
/// whether the test passed or panicked.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(data: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = data.with_extension(format!("{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_hoard"))
            .arg("--data-dir")
            .arg(data)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .current_dir(data.parent().unwrap())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while curl_status(&format!("{}/health", server.base)) != 200 {
            let exited = server.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                panic!(
                    "hoard did not become healthy ({exited:?}); its log:\n{}",
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The HTTP status of a GET, 0 when nothing answered.
fn curl_status(url: &str) -> u16 {
    let out = Command::new("curl")
        .args([
            "-s",
            "-m",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            url,
        ])
        .output()
        .expect("curl is installed (apt-get install -y curl)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The Chromium binary, installed with apt when missing and running as root.
fn ensure_chromium() -> PathBuf {
    let chromium = std::env::var_os("HOARD_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if chromium.exists() {
        return chromium;
    }
    let how = "install Debian's Chromium with `sudo apt-get install -y chromium` \
               (or point HOARD_CHROMIUM at a Chromium binary)";
    assert!(
        is_root(),
        "the browser tests need {} and it is missing: {how}",
        chromium.display()
    );
    eprintln!(
        "browser tests: {} is missing, installing Debian's chromium with apt",
        chromium.display()
    );
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let installed = apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", "chromium"]);
    assert!(
        installed && chromium.exists(),
        "`apt-get install -y chromium` did not provide {}: {how}",
        chromium.display()
    );
    chromium
}

/// Node.js ≥ 18 and npm, and `tests/ui/node_modules` matching `package-lock.json`
/// (`npm ci` when it is missing or stale).
fn ensure_node_modules() {
    let how = "install Node.js ≥ 20 (what playwright-core needs) and npm, e.g. `apt-get install -y nodejs npm` where the distribution ships Node 20";
    let version = Command::new("node")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("the browser tests need `node` ({e}): {how}"));
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        major >= 20,
        "node {version} is too old for playwright-core: {how}"
    );
    let ui = ui_dir();
    if node_modules_match_lock(&ui) {
        return;
    }
    eprintln!("browser tests: running `npm ci` in {}", ui.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&ui)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("the browser tests need `npm` ({e}): {how}"));
    assert!(status.success(), "`npm ci` in {} failed", ui.display());
    assert!(
        node_modules_match_lock(&ui),
        "node_modules still differs from package-lock.json after `npm ci`"
    );
}

/// Every package that `package-lock.json` lists is installed at its locked version.
fn node_modules_match_lock(ui: &Path) -> bool {
    let lock: Value =
        serde_json::from_slice(&fs::read(ui.join("package-lock.json")).unwrap()).unwrap();
    let packages = lock["packages"].as_object().unwrap();
    packages
        .iter()
        .filter(|(key, _)| key.starts_with("node_modules/"))
        .all(|(key, locked)| {
            let manifest = fs::read(ui.join(key).join("package.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
            match manifest {
                Some(manifest) => manifest["version"] == locked["version"],
                None => locked["optional"] == true,
            }
        })
}

/// Makes the admin account with the real binary, as an operator would.
fn add_admin(data: &Path) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hoard"))
        .arg("--data-dir")
        .arg(data)
        .args(["user", "add", ADMIN_USER, "--email", ADMIN_EMAIL, "--admin"])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{ADMIN_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "hoard user add failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tests/ui/specs/*.test.mjs`, sorted (Node 20's `--test` does not expand globs itself).
fn spec_files() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = fs::read_dir(ui_dir().join("specs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.mjs"))
        })
        .collect();
    specs.sort();
    specs
}

#[test]
fn the_web_ui_specs_pass_in_chromium() {
    let chromium = ensure_chromium();
    ensure_node_modules();
    let specs = spec_files();
    assert!(!specs.is_empty(), "no tests/ui/specs/*.test.mjs");

    let dir: TempDir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_admin(&data);
    let server = Server::start(&data);

    let screenshots = repo().join("docs").join("screenshots");
    eprintln!(
        "browser tests: {} spec file(s) against {} with {}",
        specs.len(),
        server.base,
        chromium.display()
    );
    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(&specs)
        .current_dir(ui_dir())
        .env("HOARD_URL", &server.base)
        .env("HOARD_ADMIN_USER", ADMIN_USER)
        .env("HOARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("HOARD_SCREENSHOTS", &screenshots)
        .env("HOARD_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .status()
        .expect("node runs");
    if !status.success() {
        let log = server.log_text();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        eprintln!(
            "--- last lines of the hoard log ---\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    assert!(
        status.success(),
        "the browser specs failed ({status}); see the node test output above"
    );
    drop(server);
}
