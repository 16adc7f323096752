//! kill -9 of the real `hoard` binary while one file is overwritten again and again (SPEC
//! §9, §13): after each restart the file's history (its versions oldest first, then the
//! current content) is exactly the acknowledged contents, plus at most the one in flight
//! at the kill — the old content and no new version, or the new content with the old one
//! as a version, never anything else — and `hoard check` is clean.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::PASSWORD;
use crate::support::random::write_random;
use crate::support::server::{curl, hoard_command, Server};

const ROUTE: &str = "/api/v1/files/by-path?path=/hot.bin";
const ROUNDS: u64 = 6;

#[test]
fn kill_9_during_overwrites_leaves_the_old_content_or_the_new_one_with_the_old_as_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hoard.toml");
    std::fs::write(&config, "[versions]\nmax_per_file = 10000\n").unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start_with_config(&data, &config);
    server.sign_up("alice", PASSWORD);
    let (mut acked, in_flight) = overwrite_until_refused(&handle(&server), dir.path(), 0, 1);
    assert_eq!((acked.len(), in_flight), (1, None));
    for round in 0..ROUNDS {
        let writer = {
            let (server, dir) = (handle(&server), dir.path().to_owned());
            let first = 1000 * (round + 1);
            thread::spawn(move || overwrite_until_refused(&server, &dir, first, u64::MAX))
        };
        // A different moment in each round: early in a write, in an fsync, in a commit.
        thread::sleep(Duration::from_millis(40 + 47 * round));
        server.kill9();
        let (done, in_flight) = writer.join().unwrap();
        acked.extend(done);
        server.restart();
        let history = history(&server);
        if history.len() == acked.len() + 1 {
            // Committed, but the answer was lost with the process: it must be the one sent.
            assert_eq!(history.last(), in_flight.as_ref(), "round {round}");
            acked.extend(in_flight);
        }
        assert_eq!(
            history, acked,
            "round {round}: history is the acknowledged contents"
        );
        let out = hoard_command(&data).arg("check").output().unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        assert_eq!(report.trim(), "consistent", "round {round}");
    }
}

/// PUTs fresh random contents (seeds from `first`) to `/hot.bin` until one is refused or
/// fails, at most `count`; returns the sha256 of those acknowledged, and of the one that was not.
fn overwrite_until_refused(
    server: &Handle,
    dir: &Path,
    first: u64,
    count: u64,
) -> (Vec<String>, Option<String>) {
    let mut acked = Vec::new();
    for seed in first..first.saturating_add(count) {
        let file: PathBuf = dir.join(format!("c{seed}.bin"));
        let sha = write_random(&file, 256 * 1024, seed);
        let auth = format!("Authorization: Bearer {}", server.token);
        let url = format!("{}{ROUTE}", server.base);
        let (status, _) = curl(&["-H", &auth, "-T", file.to_str().unwrap(), &url]);
        let _ = std::fs::remove_file(&file);
        if !matches!(status, 200 | 201) {
            return (acked, Some(sha));
        }
        acked.push(sha);
    }
    (acked, None)
}

/// The file's contents in order: versions oldest first, then the current one.
fn history(server: &Server) -> Vec<String> {
    let (status, entry) = server.json(ROUTE, &[]);
    assert_eq!(status, 200, "{entry}");
    let route = format!("/api/v1/files/{}/versions?limit=1000", entry["id"]);
    let (status, list) = server.json(&route, &[]);
    assert_eq!(status, 200, "{list}");
    let sha = |v: &Value| v["sha256"].as_str().unwrap().to_owned();
    let mut shas: Vec<String> = list["items"].as_array().unwrap().iter().map(sha).collect();
    shas.reverse();
    shas.push(sha(&entry));
    shas
}

/// What a writer thread needs of the server: where it is and the token.
struct Handle {
    base: String,
    token: String,
}

fn handle(server: &Server) -> Handle {
    Handle {
        base: server.base.clone(),
        token: server.token.clone(),
    }
}
