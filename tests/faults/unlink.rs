//! A kill that lands between a commit and its unlinks: strace holds every unlink of the
//! server while a trash purge, then a user deletion, commit; SIGKILL; restart. The rows are
//! gone, the blob files are orphans (no problem while young), nothing dangles.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::server::Server;
use crate::world::{assert_consistent, blob_path, sigkill, PASSWORD};

/// strace attached to the running server, holding every unlink for 30 s: a purge or a
/// user deletion stops between its commit and its first unlink. Stopped by PID when dropped.
struct UnlinksParked(std::process::Child);

impl UnlinksParked {
    fn attach(server: &Server) -> Self {
        let pid = server.child.id().to_string();
        let strace = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                "trace=unlink,unlinkat",
            ])
            .args([
                "-e",
                "inject=unlink,unlinkat:delay_enter=30000000",
                "-p",
                &pid,
            ])
            .stderr(Stdio::null())
            .spawn()
            .expect("strace is installed (apt-get install -y strace)");
        let traced = || {
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
            tasks.flatten().all(|task| {
                let status =
                    std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
                status
                    .lines()
                    .any(|l| l.starts_with("TracerPid:") && l.trim_end() != "TracerPid:\t0")
            })
        };
        wait_for("strace to attach to every thread", traced);
        Self(strace)
    }
}

impl Drop for UnlinksParked {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A row count in the server's database, read beside it.
fn rows(server: &Server, sql: &str, id: u64) -> i64 {
    let db = rusqlite::Connection::open(server.data.join("hoard.db")).unwrap();
    db.query_row(sql, [id as i64], |r| r.get(0)).unwrap()
}

/// Sends `DELETE path` in the background and kills the server once `committed` holds while
/// every unlink is held: the crash lands between the commit and the unlinks.
fn kill_between_commit_and_unlink(
    server: &mut Server,
    path: &str,
    committed: impl Fn(&Server) -> bool,
) {
    let parked = UnlinksParked::attach(server);
    let mut delete = Command::new("curl")
        .args([
            "-sS",
            "-m",
            "120",
            "-o",
            "/dev/null",
            "-X",
            "DELETE",
            "-H",
            &server.auth(),
        ])
        .arg(server.url(path))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the commit", || committed(server));
    // SIGKILL first, then strace: a thread let go from its held unlink with SIGKILL pending
    // skips the syscall (the kernel checks for a fatal signal on leaving the stop).
    sigkill(server);
    drop(parked);
    let _ = delete.wait();
    server.restart();
}

#[test]
fn a_kill_between_commit_and_unlink_leaves_orphans_never_dangling_rows() {
    let (_dir, mut server) = Server::fresh("alice", PASSWORD);
    let (bob, _, bob_files) = server.user_with_files("bob", 4, 30_000, 500);
    let kept = server.upload("/kept.bin", 20_000, 600).1.unwrap();
    let purged = server.upload("/purged.bin", 10_000, 601).1.unwrap();
    assert_eq!(
        server
            .call(&format!("/api/v1/files/{}", purged.id), &["-X", "DELETE"])
            .0,
        204
    );

    let gone = |sql: &'static str, id: u64| move |s: &Server| rows(s, sql, id) == 0;
    let entry_gone = gone("SELECT COUNT(*) FROM entries WHERE id = ?1", purged.id);
    kill_between_commit_and_unlink(
        &mut server,
        &format!("/api/v1/trash/{}", purged.id),
        entry_gone,
    );
    assert!(
        blob_path(&server.data, &purged.sha256).exists(),
        "the kill came before the unlink"
    );
    assert_consistent(&server); // a young orphan is no inconsistency
    assert!(
        server.trash_ids().is_empty(),
        "the committed purge stays done"
    );
    assert_eq!(server.download_sha(kept.id), (200, kept.sha256.clone()));
    assert_eq!(server.storage_used(), kept.size);

    let user_gone = gone("SELECT COUNT(*) FROM users WHERE id = ?1", bob);
    kill_between_commit_and_unlink(&mut server, &format!("/api/v1/users/{bob}"), user_gone);
    let orphans = bob_files
        .iter()
        .filter(|f| blob_path(&server.data, &f.sha256).exists());
    assert!(orphans.count() > 0, "the kill came before the unlinks");
    assert_consistent(&server);
    assert_eq!(server.json(&format!("/api/v1/users/{bob}"), &[]).0, 404);
    assert_eq!(server.download_sha(kept.id), (200, kept.sha256));
}
