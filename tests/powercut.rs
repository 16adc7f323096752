//! Nothing lost, proven by repetition (SPEC §9; docs/RELIABILITY.md, "Power cuts and the
//! kill loop"). The data dir lives on a loop-mounted file system in an image file. Three
//! clients (tests/powercut/workload.rs) upload through every door, overwrite, rename, move,
//! delete, purge and share, each writing every answer into a model of its drive. Each round
//! ends at a random moment in a crash:
//!
//! - a **power cut** (on some rounds): the server is frozen with SIGSTOP and the image copied;
//!   the copy is what the device had received, without the page cache. Its file system is
//!   checked (`e2fsck -fn`, `btrfs check`), mounted, and a fresh server on it must show
//!   every acknowledged operation and nothing that was never sent (tests/powercut/model.rs),
//!   with `hoard check` consistent and `PRAGMA integrity_check` ok;
//! - a **kill** (every round): SIGKILL, then a restart on the same data dir, the same checks;
//!   the model then takes what the server shows of the unanswered operations, and the
//!   clients go on.
//!
//! A failure names the seed, the round and the ledger entry that broke. Re-run one seed with
//! `HOARD_POWERCUT_SEED=N cargo test --release --test powercut`. Runs as root (loop mounts).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/mod.rs"]
mod support;

#[path = "powercut/client.rs"]
mod client;
#[path = "powercut/disk.rs"]
mod disk;
#[path = "powercut/model.rs"]
mod model;
#[path = "powercut/workload.rs"]
mod workload;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use client::Client;
use disk::{Copy, Disk, Fs};
use model::View;
use support::server::{hoard_command, Server};
use workload::{Worker, PASSWORD};

/// Clients working at once, each as its own user.
const CLIENTS: u64 = 3;

#[test]
fn power_cuts_and_kills_on_ext4_lose_nothing_acknowledged() {
    // 100 kills, every other one also a power cut: 50 cuts.
    Run::start(Fs::Ext4).rounds(100, 2);
}

#[test]
fn power_cuts_on_btrfs_lose_nothing_acknowledged() {
    Run::start(Fs::Btrfs).rounds(20, 1);
}

/// Fields drop in order: the server is killed before its file system is unmounted.
struct Run {
    seed: u64,
    round: usize,
    rng: StdRng,
    server: Server,
    workers: Vec<Worker>,
    disk: Disk,
}

impl Run {
    fn start(fs: Fs) -> Self {
        let seed = std::env::var("HOARD_POWERCUT_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(rand::random);
        eprintln!("{fs:?}: seed {seed} (HOARD_POWERCUT_SEED={seed} repeats this run)");
        let disk = Disk::new(fs);
        let mut server = Server::start(&disk.mnt.join("data"));
        server.sign_up("admin", PASSWORD);
        let admin = Client::new(&server.base, &server.token);
        let workers = (0..CLIENTS)
            .map(|n| Worker::new(&admin, &server.base, &format!("user{n}"), seed + n))
            .collect();
        Self {
            seed,
            round: 0,
            rng: StdRng::seed_from_u64(seed),
            server,
            workers,
            disk,
        }
    }

    /// `count` rounds of work ended by a kill; every `cut_every`-th also a power cut.
    fn rounds(mut self, count: usize, cut_every: usize) {
        let (mut cuts, mut operations) = (0, 0);
        for round in 0..count {
            self.round = round;
            let cut = round % cut_every == 0;
            let millis = self.rng.random_range(10..400);
            let snapshot = self.disk.image.with_extension("cut");
            let before: usize = self.workers.iter().map(|w| w.serial()).sum();
            self.work_then_crash(millis, cut.then_some(snapshot.as_path()));
            operations += self.workers.iter().map(|w| w.serial()).sum::<usize>() - before;
            if cut {
                self.check_copy(&snapshot);
                cuts += 1;
            }
            self.check_after_restart();
        }
        let du = Command::new("du")
            .arg("-sh")
            .arg(&self.server.data)
            .output();
        let used = du.map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
        eprintln!(
            "{:?}: {count} kills, {cuts} power cuts, {operations} operations, no failure; data dir: {}",
            self.disk.fs,
            used.unwrap_or_default().trim()
        );
    }

    /// The clients work for `millis`; then (with `snapshot`) the server is frozen and the
    /// image copied to `snapshot`; then it is killed.
    fn work_then_crash(&mut self, millis: u64, snapshot: Option<&Path>) {
        let pid = self.server.child.id();
        let stop = AtomicBool::new(false);
        let (workers, disk) = (&mut self.workers, &self.disk);
        std::thread::scope(|scope| {
            for worker in workers.iter_mut() {
                let stop = &stop;
                scope.spawn(move || while !stop.load(Ordering::Relaxed) && worker.step() {});
            }
            std::thread::sleep(Duration::from_millis(millis));
            if let Some(snapshot) = snapshot {
                signal("STOP", pid);
                disk.snapshot(snapshot);
            }
            stop.store(true, Ordering::Relaxed);
            signal("KILL", pid);
        });
    }

    /// Mounts the power cut's image copy and checks what a server on it shows.
    fn check_copy(&self, snapshot: &Path) {
        let mnt = self.disk.image.with_extension("copy");
        let copy = Copy::checked(self.disk.fs, snapshot, &mnt)
            .unwrap_or_else(|report| self.fail("power cut: the file system", &report));
        let data = copy.mnt.join("data");
        let server = Server::start(&data);
        for worker in &self.workers {
            let client = Client::new(&server.base, &worker.token);
            let mut model = worker.model.clone();
            let checked = View::read(&client, worker.folders).and_then(|view| model.check(&view));
            if let Err(error) = checked {
                self.fail(&format!("power cut: {}", worker.user), &error);
            }
        }
        drop(server);
        self.consistent(&data, "power cut");
        drop(copy);
        std::fs::remove_file(snapshot).unwrap();
    }

    /// Checks the killed server's data dir, restarts it, and has every client's model take
    /// what the server shows.
    fn check_after_restart(&mut self) {
        self.consistent(&self.server.data.clone(), "kill");
        self.server.restart();
        let mut failure = None;
        for worker in &mut self.workers {
            worker.client.rebase(&self.server.base);
            let view = View::read(&worker.client, worker.folders);
            if let Err(error) = view.and_then(|view| worker.model.check(&view)) {
                failure = Some((worker.user.clone(), error));
                break;
            }
        }
        if let Some((user, error)) = failure {
            self.fail(&format!("kill: {user}"), &error);
        }
    }

    /// `hoard check` prints `consistent` and SQLite's integrity check is ok.
    fn consistent(&self, data: &Path, crash: &str) {
        let out = hoard_command(data).arg("check").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || stdout.trim() != "consistent" {
            let report = format!(
                "{}\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            self.fail(&format!("{crash}: hoard check"), &report);
        }
        let db = rusqlite::Connection::open(data.join("hoard.db")).unwrap();
        let integrity: String = db
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        if integrity != "ok" {
            self.fail(&format!("{crash}: PRAGMA integrity_check"), &integrity);
        }
    }

    fn fail(&self, what: &str, error: &str) -> ! {
        panic!(
            "{:?}, seed {} (HOARD_POWERCUT_SEED={} repeats it), round {}: {what}: {error}",
            self.disk.fs, self.seed, self.seed, self.round
        )
    }
}

fn signal(name: &str, pid: u32) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {pid}");
}
