//! A bounded soak of the real release server (SPEC §9): tests/soak/soak.py drives 64
//! clients of mixed work, then 3× as many (overload: only 2xx/4xx and 429/503 with
//! `Retry-After`), then checks recovery, every acknowledged upload by sha256, and reports
//! the server's peak RSS. Here it runs 15 s + 10 s; `HOARD_SOAK_SECS=60` runs the full soak
//! (overload for a third of that). Re-run by hand against any server with the command in
//! the script's docstring. Prerequisite: python3 (stdlib only).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Instant;

use serde_json::Value;

use support::server::Server;

const PASSWORD: &str = "Soak-and-overload-42!";

/// Peak server RSS the soak may reach (catalog §3: ≤ 300 MB peak; 192 clients here).
const MAX_RSS_KIB: u64 = 384 * 1024;

/// Runs the soak against a fresh server; asserts its rules and a clean stop; returns the
/// summary.
fn soak() -> Value {
    let secs: u64 = std::env::var("HOARD_SOAK_SECS").map_or(15, |s| s.parse().unwrap());
    let overload = if secs > 15 { secs / 3 } else { 10 };
    let (_dir, server) = Server::fresh("soakadmin", PASSWORD);
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
    let (ok, log) = server.stop();
    assert!(ok, "the server stopped cleanly after the soak");
    assert!(!log.contains("panicked"), "no panic in the server log");
    summary
}

#[test]
fn a_soak_with_overload_sheds_cleanly_recovers_loses_no_upload_and_keeps_rss_bounded() {
    let summary = soak();
    assert!(summary["recovery_s"].is_number(), "{summary}");
    let peak = summary["rss"]["vmhwm_kib"].as_u64().unwrap();
    assert!(peak < MAX_RSS_KIB, "peak VmHWM {peak} KiB");
}
