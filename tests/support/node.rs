//! Node.js and `tests/ui/node_modules` (playwright-core, tus-js-client) for the tests that
//! run JavaScript: checked, and installed with `npm ci` when missing or stale.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;

/// Serializes the set-up of tests that run at once in one test binary.
pub static SETUP: Mutex<()> = Mutex::new(());

/// `tests/ui`, where the Node.js tooling lives.
pub fn ui_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ui")
}

/// Node.js ≥ `min_major` and npm, and `tests/ui/node_modules` matching `package-lock.json`
/// (`npm ci` when it is missing or stale). `who` names the tests in what it says.
pub fn ensure_node_modules(min_major: u32, who: &str) {
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let how = format!(
        "install Node.js ≥ {min_major} and npm (Debian: `apt-get install -y nodejs npm`, \
         where the distribution ships a recent enough Node)"
    );
    let version = Command::new("node")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("the {who} need `node` ({e}): {how}"));
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(major >= min_major, "node {version} is too old: {how}");
    let ui = ui_dir();
    if node_modules_match_lock(&ui) {
        return;
    }
    eprintln!("{who}: running `npm ci` in {}", ui.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&ui)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("the {who} need `npm` ({e}): {how}"));
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
