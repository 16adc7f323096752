//! The browser tests: the real `hoard` binary on a free loopback port, with an admin made by
//! `hoard user add --admin`, and Node's test runner over `tests/ui/specs/*.test.mjs`, which
//! drive Debian's Chromium through playwright-core (tests/ui/harness.mjs).
//!
//! An OpenID Connect provider (tests/oidc/provider.mjs) runs beside it as provider `mock`,
//! for the login page's single sign-on button (58-oidc); its control URL is passed to the
//! specs as `HOARD_OIDC_CONTROL`.
//!
//! Prerequisites (`.ci/run` installs them): `/usr/bin/chromium` (or `HOARD_CHROMIUM`), Node.js
//! ≥ 20 with npm, and curl. Chromium is installed with apt when missing and running as root;
//! otherwise the test fails and says how to install it. It never skips.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "oidc/provider.rs"]
mod provider;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use provider::Provider;
use support::node::{ensure_node_modules, ui_dir};
use support::server::{hoard_command, Server};

const ADMIN_USER: &str = "admin";
const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_PASSWORD: &str = "Browser-tests-keep-7-keys!";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// Makes the admin account with the real binary, as an operator would.
fn add_admin(data: &Path) {
    let mut child = hoard_command(data)
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
/// `HOARD_UI_SPECS=57,security` keeps only the files whose names contain one of the
/// comma-separated parts (for working on one spec); unset or empty, every spec runs.
fn spec_files() -> Vec<PathBuf> {
    let only = std::env::var("HOARD_UI_SPECS").unwrap_or_default();
    let wanted: Vec<&str> = only
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut specs: Vec<PathBuf> = fs::read_dir(ui_dir().join("specs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(".test.mjs")
                    && (wanted.is_empty() || wanted.iter().any(|w| n.contains(w)))
            })
        })
        .collect();
    specs.sort();
    specs
}

#[test]
fn the_web_ui_specs_pass_in_chromium() {
    let chromium = ensure_chromium();
    ensure_node_modules(20, "browser tests");
    let specs = spec_files();
    assert!(
        !specs.is_empty(),
        "no tests/ui/specs/*.test.mjs (matching HOARD_UI_SPECS, if set)"
    );

    let dir: TempDir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add_admin(&data);
    let oidc = Provider::start();
    let config = dir.path().join("hoard.toml");
    fs::write(&config, oidc_config(&oidc.issuer)).unwrap();
    let server = Server::start_with_config(&data, &config);

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
        .env("HOARD_OIDC_CONTROL", &oidc.control)
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
    drop(oidc);
}

/// The server's configuration: one single sign-on provider, `mock`, that may create accounts.
fn oidc_config(issuer: &str) -> String {
    format!(
        "[[auth.oidc.providers]]\nid = \"mock\"\nname = \"Mock ID\"\nissuer = \"{issuer}\"\n\
         client_id = \"hoard\"\nclient_secret = \"hoard-secret\"\nauto_create = true\n"
    )
}
