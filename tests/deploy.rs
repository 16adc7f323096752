//! The deployment examples of docs/deploy/ checked with the real tools (SPEC §15): the
//! systemd unit with `systemd-analyze`, and Hoard run under what its sandbox allows
//! (traced with strace); nginx and Caddy started for real in front of a real Hoard, with
//! TLS, streamed uploads, Range, the WebDAV methods and headers and `trusted_proxies`; the
//! backup and restore steps of docs/deploy.md run verbatim; the static binary alone in
//! an empty root (chroot).
//!
//! Prerequisites (`.ci/run` installs them): curl, openssl, nginx, caddy, systemd (for
//! `systemd-analyze`), strace, rsync, binutils' `readelf`; util-linux's `setpriv`;
//! coreutils' `chroot`. Run as root (CI is): the
//! sandbox test changes user with setpriv.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "deploy/backup.rs"]
mod backup;
#[path = "deploy/caddy.rs"]
mod caddy;
#[path = "deploy/nginx.rs"]
mod nginx;
#[path = "deploy/proxy.rs"]
mod proxy;
#[path = "deploy/relay.rs"]
mod relay;
#[path = "deploy/static_binary.rs"]
mod static_binary;
#[path = "deploy/systemd.rs"]
mod systemd;
#[path = "deploy/trace.rs"]
mod trace;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The uid the tests run Hoard as: the docs' user `hoard`, which this machine does not have.
const HOARD_UID: u32 = 61_234;

/// `setpriv` to HOARD_UID, without supplementary groups, with `extra` flags, then `--`.
fn as_hoard(extra: &[&str]) -> Vec<String> {
    let (user, group) = (
        format!("--reuid={HOARD_UID}"),
        format!("--regid={HOARD_UID}"),
    );
    let args = [
        &["setpriv", &user, &group, "--clear-groups"][..],
        extra,
        &["--"],
    ]
    .concat();
    args.iter().map(|a| a.to_string()).collect()
}

/// A file of docs/deploy/.
fn deploy_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/deploy")
        .join(name);
    std::fs::read_to_string(&path).unwrap()
}

/// `text` with each `from` replaced by its `to`; every `from` must occur (an edit of the
/// docs that drops one fails here rather than testing something else).
fn substitute(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(text.to_owned(), |text, (from, to)| {
        assert!(text.contains(from), "{from:?} is in the example");
        text.replace(from, to)
    })
}

/// Runs `program args`; panics with a hint when it is not installed.
fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is installed (.ci/run installs it): {e}"))
}

/// Writes `text` to DIR/NAME and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
