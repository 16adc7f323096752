//! Python tools the tests drive (openapi-spec-validator, tuspy, schemathesis): installed
//! with pip the first time they are missing, or a failure that says how.

use std::process::{Command, Stdio};
use std::sync::Mutex;

/// One pip at a time: tests of one binary run in parallel.
static PIP: Mutex<()> = Mutex::new(());

/// Makes `python3 -c "import MODULE"` work, pip-installing `requirement` when it does not.
pub fn ensure_module(module: &str, requirement: &str) {
    let _one = PIP.lock().unwrap_or_else(|e| e.into_inner());
    let importable = || {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
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
