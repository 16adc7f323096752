//! The fuzz targets of `fuzz/` in CI: every committed corpus file replayed through the same
//! property checks (`hoard::fuzzing`, plain Rust, no fuzzer), then each cargo-fuzz target
//! run for a short, bounded time from that corpus.
//!
//! Prerequisite (`.ci/run` installs it): cargo-fuzz (`cargo install cargo-fuzz --locked`).
//! It runs on the stable toolchain with `--sanitizer none` (`RUSTC_BOOTSTRAP=1` in case it
//! passes a `-Z` flag). `HOARD_FUZZ_SECONDS` sets the time per target (default 20).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A target's name and its property check.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 6] = [
    ("ranges", hoard::fuzzing::ranges),
    ("names", hoard::fuzzing::names),
    ("tus_headers", hoard::fuzzing::tus_headers),
    ("jwt", hoard::fuzzing::jwt),
    ("multipart", hoard::fuzzing::multipart),
    ("wire_head", hoard::fuzzing::wire_head),
];

const HOW: &str =
    "install it with `cargo install cargo-fuzz --version 0.13.2 --locked` (stable toolchain is \
                   enough; .ci/run does this)";

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "{} holds no corpus", dir.display());
    files
}

#[test]
fn every_committed_corpus_input_keeps_the_properties() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, check) in TARGETS {
        for path in corpus(target) {
            let data = fs::read(&path).unwrap();
            replayed += 1;
            if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} corpus inputs break a property (the panics above say which):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// How the targets are built (`build` and `run` must agree, or `run` rebuilds): no
/// sanitizer (stable has none), and the fuzz crate's light `dev` profile, because the cold
/// build of hoard with coverage instrumentation is most of the cost (fuzz/Cargo.toml).
const BUILD: [&str; 3] = ["--dev", "-s", "none"];

/// `cargo fuzz <args>` in `fuzz/` with the stable toolchain.
fn cargo_fuzz(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .arg("fuzz")
        .args(args)
        .current_dir(fuzz_dir())
        .env("RUSTC_BOOTSTRAP", "1")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS");
    command
}

#[test]
fn each_fuzz_target_runs_clean_for_a_while() {
    let version = cargo_fuzz(&["--version"]).output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "cargo-fuzz is missing: {HOW}"
    );
    let status = cargo_fuzz(&[&["build"], &BUILD[..]].concat())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "`cargo fuzz build {}` in fuzz/ failed",
        BUILD.join(" ")
    );
    let seconds = std::env::var("HOARD_FUZZ_SECONDS").unwrap_or_else(|_| "20".into());
    let out = tempfile::tempdir().unwrap();
    // Every target runs even when one fails, so one finding never hides another.
    let failed: Vec<String> = TARGETS
        .iter()
        .filter(|(target, _)| !fuzz_one(target, &seconds, out.path()))
        .map(|(target, _)| {
            format!(
                "`{target}`: reproduce with `cd fuzz && cargo fuzz run {} {target} <file>`",
                BUILD.join(" ")
            )
        })
        .collect();
    let kept: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let to = fuzz_dir().join("artifacts").join(p.file_name().unwrap());
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(&p, &to).unwrap();
            to.display().to_string()
        })
        .collect();
    assert!(
        failed.is_empty(),
        "fuzzing found inputs that break a property (the panics above say which): {kept:?}\n{}",
        failed.join("\n")
    );
}

/// Runs one target from its committed corpus, new inputs and findings into `out`;
/// whether it ran clean.
fn fuzz_one(target: &str, seconds: &str, out: &Path) -> bool {
    // New inputs go to a scratch dir: the committed corpus is only read.
    let scratch = out.join(format!("{target}.corpus"));
    fs::create_dir(&scratch).unwrap();
    let committed = fuzz_dir().join("corpus").join(target);
    let artifacts = format!("-artifact_prefix={}/{target}-", out.display());
    cargo_fuzz(&[&["run"], &BUILD[..], &[target]].concat())
        .arg(&scratch)
        .arg(&committed)
        .args(["--", &format!("-max_total_time={seconds}"), "-timeout=10"])
        .args(["-rss_limit_mb=2048", &artifacts, "-print_final_stats=1"])
        .status()
        .unwrap()
        .success()
}
