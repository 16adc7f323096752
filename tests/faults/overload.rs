//! Load shedding (`limits.max_in_flight`, src/http/middleware.rs): with two slots, one upload
//! holding the only slot uploads may take makes the next upload wait 1 s and get 503
//! `unavailable` with `Retry-After`, while listings and /health still answer; once the
//! slow upload is gone, uploads succeed again.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::random::{write_random, MIB};
use crate::support::server::Server;
use crate::world::{seeing_headers, send_seeing_headers, wait_for_growing_part, PASSWORD};

#[test]
fn past_max_in_flight_uploads_get_503_with_retry_after_and_cheap_requests_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hoard.toml");
    std::fs::write(&config, "[limits]\nmax_in_flight = 2\n").unwrap();
    let mut server = Server::start_with_config(&dir.path().join("data"), &config);
    server.sign_up("alice", PASSWORD);
    let big = dir.path().join("big.bin");
    write_random(&big, 8 * MIB, 1);
    let put = ["-T", big.to_str().unwrap()];
    let mut slow = server.slow("512K", &put, "/api/v1/files/by-path?path=/slow.bin");
    wait_for_growing_part(&server.data);

    let small = dir.path().join("small.bin");
    write_random(&small, 4096, 2);
    let (status, retry, body) = put_seeing_headers(&server, &small);
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry.as_deref(), Some("1"), "Retry-After");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"],
        "unavailable"
    );
    let (status, list) = server.json("/api/v1/files", &[]);
    assert_eq!(status, 200, "a listing still has a slot: {list}");
    assert_eq!(server.json("/health", &[]).0, 200);
    let folder = send_seeing_headers(&server, "POST", "/api/v1/folders", &json!({"name": "f"}));
    assert_eq!(folder.0, 201, "{folder:?}");

    slow.kill().unwrap();
    slow.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = put_seeing_headers(&server, &small);
        if status == 201 || status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(Instant::now() < deadline, "uploads did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (ok, _) = server.stop();
    assert!(ok);
}

fn put_seeing_headers(server: &Server, file: &std::path::Path) -> (u16, Option<String>, String) {
    let put = ["-T", file.to_str().unwrap()];
    seeing_headers(server, &put, "/api/v1/files/by-path?path=/small.bin")
}
