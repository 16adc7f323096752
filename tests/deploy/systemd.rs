//! docs/deploy/hoard.service: `systemd-analyze verify` and `security`, and Hoard run under
//! what the unit allows. systemd is not PID 1 here (nor in CI, a container), so the unit
//! cannot be started; instead Hoard runs as the unit would have it without systemd — an
//! unprivileged user, no capabilities, no new privileges, umask 0077 — traced by strace
//! through a workload, and each restriction of the unit is checked against what it did.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::random::{write_random, MIB};
use crate::support::server::Server;
use crate::trace::{allowed_syscalls, settings, Trace};
use crate::{as_hoard, deploy_file, run, write, HOARD_UID};

const PASSWORD: &str = "Sandboxed-but-useful-9!";

/// The unit with its ExecStart on the binary under test.
fn unit_in(dir: &Path) -> std::path::PathBuf {
    let unit = deploy_file("hoard.service");
    let exec = "ExecStart=/usr/local/bin/hoard ";
    assert!(unit.contains(exec), "{unit}");
    let unit = unit.replace(exec, &format!("ExecStart={} ", env!("CARGO_BIN_EXE_hoard")));
    write(dir, "hoard.service", &unit)
}

#[test]
fn systemd_analyze_verify_passes_the_unit_silently() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_in(dir.path());
    let out = run("systemd-analyze", &["verify", unit.to_str().unwrap()]);
    let said = [out.stdout, out.stderr].concat();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&said));
    assert_eq!(String::from_utf8_lossy(&said), "");
}

#[test]
fn systemd_analyze_security_rates_the_unit_below_2() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_in(dir.path());
    let out = run(
        "systemd-analyze",
        &["security", "--offline=yes", unit.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let level = text
        .split("Overall exposure level for hoard.service: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("an exposure level: {text}"));
    assert!(level < 2.0, "{text}");
}

/// `setpriv … sh -c 'umask 077 && exec strace -ff -o PREFIX hoard …'`.
fn sandbox(prefix: &Path) -> Vec<String> {
    let privileges = ["--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"];
    let shell = r#"umask 077 && exec strace -ff -qq -o "$0" "$@""#;
    let mut args = as_hoard(&privileges);
    args.extend(["sh", "-c", shell].map(String::from));
    args.push(prefix.display().to_string());
    args
}

/// Kills the traced Hoard by PID if the test ends early (killing strace would detach it).
struct Tracee(u32);

impl Drop for Tracee {
    fn drop(&mut self) {
        let kill = ["-KILL", &self.0.to_string()];
        let _ = Command::new("kill")
            .args(kill)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// The PID of Hoard, strace's one child.
fn tracee(server: &Server) -> Tracee {
    let strace = server.child.id();
    let path = format!("/proc/{strace}/task/{strace}/children");
    let children = std::fs::read_to_string(path).unwrap();
    Tracee(children.trim().parse().unwrap())
}

#[test]
fn hoard_does_nothing_the_units_sandbox_forbids() {
    let unit = deploy_file("hoard.service");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(dir.path(), Some(HOARD_UID), Some(HOARD_UID)).unwrap();
    let (prefix, data) = (dir.path().join("trace"), dir.path().join("data"));
    let config = write(dir.path(), "hoard.toml", &deploy_file("hoard.toml"));
    let wrapper = sandbox(&prefix);
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    let mut server = Server::start_under(&wrapper, &data, Some(&config));
    let hoard = tracee(&server);
    workload(&mut server, dir.path());
    stops_in_time(&mut server, &hoard, &unit);
    let trace = Trace::read(&prefix);
    only_allowed_syscalls(&trace, &unit);
    only_allowed_address_families(&trace, &unit);
    no_namespaces_personality_or_executable_memory(&trace);
    writes_only_in(&trace, &data);
    reads_nothing_hidden(&trace);
    files_are_private(&data);
}

/// What a household does: sign up, upload (raw and multipart), thumbnails, Range, a folder
/// as zip, delete and purge (a blob unlinked).
fn workload(server: &mut Server, dir: &Path) {
    server.sign_up("alice", PASSWORD);
    let file = dir.join("big.bin");
    write_random(&file, 3 * MIB, 15);
    let path = file.to_str().unwrap();
    let (status, put) = server.json("/api/v1/files/by-path?path=/a/big.bin", &["-T", path]);
    assert_eq!(status, 201, "{put}");
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/fixtures/photo1.png");
    let (status, posted) = server.json("/api/v1/files", &["-F", &format!("file=@{photo}")]);
    assert_eq!(status, 201, "{posted}");
    let (big, folder, png) = (&put["id"], &put["parent_id"], &posted["items"][0]["id"]);
    let (get, range, delete): (&[&str], &[&str], &[&str]) =
        (&[], &["-r", "0-99"], &["-X", "DELETE"]);
    let expect = [
        (format!("/api/v1/files/{png}/thumbnail?size=64"), get, 200),
        (format!("/api/v1/files/{big}/download"), range, 206),
        (format!("/api/v1/files/{folder}/download"), get, 200),
        (format!("/api/v1/files/{big}"), delete, 204),
        (format!("/api/v1/trash/{big}"), delete, 204),
    ];
    for (path, extra, status) in expect {
        assert_eq!(server.call(&path, extra).0, status, "{extra:?} {path}");
    }
}

/// SIGTERM to Hoard: it exits 0 well within the unit's TimeoutStopSec.
fn stops_in_time(server: &mut Server, hoard: &Tracee, unit: &str) {
    let limit: u64 = settings(unit, "TimeoutStopSec")[0]
        .trim_end_matches('s')
        .parse()
        .unwrap();
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &hoard.0.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}: {}", server.log_text());
    assert!(
        started.elapsed() < Duration::from_secs(limit),
        "stopped within {limit} s"
    );
}

fn only_allowed_syscalls(trace: &Trace, unit: &str) {
    let allowed = allowed_syscalls(unit);
    let refused: Vec<&str> = trace
        .names()
        .into_iter()
        .filter(|n| !allowed.contains(*n))
        .collect();
    assert!(refused.is_empty(), "SystemCallFilter= refuses {refused:?}");
}

fn only_allowed_address_families(trace: &Trace, unit: &str) {
    let families: Vec<&str> = settings(unit, "RestrictAddressFamilies")[0]
        .split(' ')
        .collect();
    for call in trace.calls(&["socket", "socketpair"]) {
        let family = call.split(['(', ',']).nth(1).unwrap();
        assert!(
            families.contains(&family),
            "RestrictAddressFamilies= refuses {call}"
        );
    }
}

/// RestrictNamespaces=, LockPersonality= and MemoryDenyWriteExecute=.
fn no_namespaces_personality_or_executable_memory(trace: &Trace) {
    let names = trace.names();
    for refused in ["unshare", "setns", "personality"] {
        assert!(!names.contains(refused), "{refused}");
    }
    for call in trace.calls(&["clone", "clone3"]) {
        assert!(
            !call.contains("CLONE_NEW"),
            "RestrictNamespaces= refuses {call}"
        );
    }
    for call in trace.calls(&["mmap", "mprotect", "pkey_mprotect"]) {
        assert!(
            !call.contains("PROT_EXEC"),
            "MemoryDenyWriteExecute= refuses {call}"
        );
    }
}

/// ProtectSystem=strict with StateDirectory=: only the data directory is writable.
fn writes_only_in(trace: &Trace, data: &Path) {
    const WRITES: [&str; 20] = [
        "mkdir",
        "mkdirat",
        "rename",
        "renameat",
        "renameat2",
        "unlink",
        "unlinkat",
        "rmdir",
        "chmod",
        "fchmodat",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "truncate",
        "creat",
        "mknod",
        "mknodat",
        "fchownat",
        "utimensat",
    ];
    let opened = trace.calls(&["open", "openat"]).filter(|call| {
        ["O_WRONLY", "O_RDWR", "O_CREAT"]
            .iter()
            .any(|f| call.contains(f))
    });
    let data = data.to_str().unwrap();
    for call in opened.chain(trace.calls(&WRITES)) {
        let inside = |path: &str| path == data || path.starts_with(&format!("{data}/"));
        assert!(
            call.split('"').skip(1).step_by(2).all(inside),
            "ProtectSystem= refuses {call}"
        );
    }
}

/// ProtectHome=, PrivateDevices= and ProtectProc=invisible. (Not ProcSubset=pid: glibc's
/// malloc reads /proc/sys/vm/overcommit_memory.)
fn reads_nothing_hidden(trace: &Trace) {
    const DEVICES: [&str; 5] = [
        "/dev/null",
        "/dev/zero",
        "/dev/full",
        "/dev/random",
        "/dev/urandom",
    ];
    const LOOKUPS: [&str; 12] = [
        "open",
        "openat",
        "stat",
        "lstat",
        "newfstatat",
        "statx",
        "access",
        "faccessat",
        "faccessat2",
        "readlink",
        "readlinkat",
        "statfs",
    ];
    for path in trace.paths(&LOOKUPS) {
        let hidden = ["/home", "/root", "/run/user"]
            .iter()
            .any(|h| path.starts_with(h));
        assert!(!hidden, "ProtectHome= hides {path}");
        assert!(
            !path.starts_with("/dev/") || DEVICES.contains(&path),
            "PrivateDevices= hides {path}"
        );
        let pid = path
            .strip_prefix("/proc/")
            .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit()));
        assert!(!pid, "ProtectProc=invisible hides other processes: {path}");
    }
}

/// UMask=0077: nothing in the data directory is open to group or others.
fn files_are_private(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let meta = entry.as_ref().unwrap().metadata().unwrap();
        let path = entry.unwrap().path();
        assert_eq!(meta.permissions().mode() & 0o077, 0, "{}", path.display());
        assert_eq!(meta.uid(), HOARD_UID, "{}", path.display());
        if meta.is_dir() {
            files_are_private(&path);
        }
    }
}
