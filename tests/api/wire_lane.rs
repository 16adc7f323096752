//! Tests: the wire lane (src/http/wire/) answers the byte routes on the raw socket exactly
//! as hyper and the full path do — status line, every header line in order, and body —
//! and keeps HTTP/1.1's connection rules: keep-alive, pipelining (handing the connection
//! to hyper in the middle), `Connection: close`, a slow reader, a client that resets. The
//! same request with a query (which keeps it out of the lane) is the full path's answer.

use std::io::Read;
use std::time::Duration;

use crate::helpers::PASSWORD;
use crate::support::server::Server;
use crate::wire_helpers::*;

/// The lane's answer and the full path's to the same request, each on a new connection.
fn both(server: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> (Wire, Wire) {
    let lane = once(server, method, path, headers);
    let full = once(server, method, &format!("{path}?via=full"), headers);
    (lane, full)
}

#[track_caller]
fn assert_same(lane: &Wire, full: &Wire, case: &str) {
    assert_eq!(lane.comparable(), full.comparable(), "{case}");
    assert!(lane.header("x-request-id").is_some(), "{case}");
}

#[test]
fn the_lane_answers_byte_for_byte_and_header_for_header_as_hyper_and_the_full_path() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    let data = pattern(300_000);
    let id = put(&server, "report.pdf", &data);
    let bearer = format!("Bearer {}", server.token);
    let etag = once(
        &server,
        "GET",
        &format!("/api/v1/files/{id}/download"),
        &[("Authorization", &bearer)],
    )
    .header("etag")
    .map(str::to_owned)
    .expect("etag");
    let auth = ("Authorization", bearer.as_str());
    for route in ["download", "content"] {
        let path = format!("/api/v1/files/{id}/{route}");
        let cases: [(&str, Vec<(&str, &str)>); 9] = [
            ("GET", vec![auth]),
            ("HEAD", vec![auth]),
            ("GET", vec![auth, ("Range", "bytes=100-65635")]),
            ("GET", vec![auth, ("Range", "bytes=0-9, 100-109, 299990-")]),
            ("GET", vec![auth, ("Range", "bytes=999999-")]),
            ("GET", vec![auth, ("If-None-Match", &etag)]),
            (
                "GET",
                vec![auth, ("Range", "bytes=0-9"), ("If-Range", "\"other\"")],
            ),
            ("GET", vec![auth, ("If-Match", "\"other\"")]),
            ("GET", vec![auth, ("Connection", "close")]),
        ];
        for (method, headers) in cases {
            let (lane, full) = both(&server, method, &path, &headers);
            assert_same(&lane, &full, &format!("{method} {route} {headers:?}"));
        }
    }
    let (lane, _) = both(
        &server,
        "GET",
        &format!("/api/v1/files/{id}/download"),
        &[auth],
    );
    assert_eq!(
        (lane.status(), lane.body.as_slice()),
        (200, data.as_slice())
    );
    let (lane, _) = both(
        &server,
        "GET",
        &format!("/api/v1/files/{id}/download"),
        &[auth, ("Range", "bytes=10-19")],
    );
    assert_eq!((lane.status(), lane.body.as_slice()), (206, &data[10..20]));
    let (lane, _) = both(
        &server,
        "GET",
        &format!("/api/v1/files/{id}/download"),
        &[auth, ("Connection", "close")],
    );
    assert_eq!(lane.header("connection"), Some("close"));
}

/// A case the lane leaves to the full path: what, the target, the headers, the status.
type Refusal<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, u16);

#[test]
fn what_the_lane_cannot_answer_gets_the_full_paths_answer_on_the_same_connection() {
    let (_dir, mut server) = Server::fresh("alice", PASSWORD);
    let id = put(&server, "a.txt", b"alice's");
    let alice = format!("Bearer {}", server.token);
    server.token = String::new();
    server.sign_up("bob", PASSWORD);
    let bob = format!("Bearer {}", server.token);
    let path = format!("/api/v1/files/{id}/download");
    let forged = format!("{alice}x");
    let cases: [Refusal; 5] = [
        (
            "someone else's file",
            path.as_str(),
            vec![("Authorization", bob.as_str())],
            404,
        ),
        (
            "a forged token",
            path.as_str(),
            vec![("Authorization", forged.as_str())],
            401,
        ),
        ("no credential", path.as_str(), vec![], 401),
        (
            "a file that does not exist",
            "/api/v1/files/999999/download",
            vec![("Authorization", alice.as_str())],
            404,
        ),
        (
            "two credentials",
            path.as_str(),
            vec![
                ("Authorization", alice.as_str()),
                ("Authorization", alice.as_str()),
            ],
            401,
        ),
    ];
    for (case, target, headers, status) in cases {
        let (lane, full) = both(&server, "GET", target, &headers);
        assert_eq!(lane.status(), status, "{case}");
        assert_same(&lane, &full, case);
    }
}

#[test]
fn keep_alive_and_pipelined_requests_are_answered_in_order_across_the_hand_over() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    let data = pattern(100_000);
    let id = put(&server, "p.bin", &data);
    let bearer = format!("Bearer {}", server.token);
    let path = format!("/api/v1/files/{id}/download");
    let range = |r: &'static str| [("Authorization", bearer.as_str()), ("Range", r)];
    let mut conn = connect(&server);
    // One by one on a kept-alive connection, then four at once: two for the lane, one for
    // the full path (the connection goes to hyper), then one more.
    write(&mut conn, &request("GET", &path, &range("bytes=0-9")));
    assert_eq!(read_response(&mut conn, false).body, &data[0..10]);
    write(&mut conn, &request("HEAD", &path, &range("bytes=0-9")));
    assert_eq!(read_response(&mut conn, true).status(), 200);
    let mut burst = request("GET", &path, &range("bytes=10-19"));
    burst.extend(request("GET", &path, &range("bytes=20-29")));
    burst.extend(request(
        "GET",
        &format!("{path}?via=full"),
        &range("bytes=30-39"),
    ));
    burst.extend(request("GET", &path, &range("bytes=40-49")));
    write(&mut conn, &burst);
    for start in [10, 20, 30, 40] {
        let reply = read_response(&mut conn, false);
        assert_eq!(
            (reply.status(), reply.body.as_slice()),
            (206, &data[start..start + 10])
        );
    }
    // A request that is not the lane's at all, then one that is, still on the same connection.
    let login = r#"{"username":"alice","password":"nope nope nope"}"#;
    let mut post = format!("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{login}", login.len()).into_bytes();
    post.extend(request("GET", &path, &range("bytes=50-59")));
    write(&mut conn, &post);
    assert_eq!(read_response(&mut conn, false).status(), 401);
    assert_eq!(read_response(&mut conn, false).body, &data[50..60]);
}

#[test]
fn connection_close_is_honoured() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    let id = put(&server, "c.bin", &pattern(1000));
    let bearer = format!("Bearer {}", server.token);
    let path = format!("/api/v1/files/{id}/download");
    let mut conn = connect(&server);
    let mut two = request(
        "GET",
        &path,
        &[("Authorization", &bearer), ("Connection", "close")],
    );
    two.extend(request("GET", &path, &[("Authorization", &bearer)]));
    write(&mut conn, &two);
    let reply = read_response(&mut conn, false);
    assert_eq!(
        (reply.status(), reply.header("connection")),
        (200, Some("close"))
    );
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).expect("closed");
    assert!(
        rest.is_empty(),
        "nothing after a close: {}",
        String::from_utf8_lossy(&rest)
    );
}

#[test]
fn a_slow_reader_gets_every_byte_and_holds_up_no_one_and_a_reset_harms_nothing() {
    let (_dir, server) = Server::fresh("alice", PASSWORD);
    let data = pattern(24 << 20);
    let id = put(&server, "big.bin", &data);
    let small = put(&server, "small.bin", b"small");
    let bearer = format!("Bearer {}", server.token);
    let auth = [("Authorization", bearer.as_str())];
    let path = format!("/api/v1/files/{id}/download");

    // A client that reads nothing for a while: the server's sends fill the socket buffers
    // (24 MiB is more than they hold) and its task waits, while another client is answered.
    let mut slow = connect(&server);
    write(&mut slow, &request("GET", &path, &auth));
    let other = once(
        &server,
        "GET",
        &format!("/api/v1/files/{small}/download"),
        &auth,
    );
    assert_eq!(other.body, b"small");
    std::thread::sleep(Duration::from_millis(300));
    let reply = read_response(&mut slow, false);
    assert_eq!(reply.status(), 200);
    assert!(reply.body == data, "the slow reader gets the whole file");

    // A client that resets mid-body (SO_LINGER 0) ends only its own connection.
    let mut head = [0u8; 64 << 10];
    for _ in 0..3 {
        let mut reset = connect(&server);
        write(&mut reset, &request("GET", &path, &auth));
        reset.read_exact(&mut head).expect("first bytes");
        rustix::net::sockopt::set_socket_linger(reset.get_ref(), Some(Duration::ZERO))
            .expect("linger");
        drop(reset);
    }
    let after = once(
        &server,
        "GET",
        &format!("/api/v1/files/{small}/download"),
        &auth,
    );
    assert_eq!(
        (after.status(), after.body.as_slice()),
        (200, &b"small"[..])
    );
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
}

/// Sums the results of the `sendfile` calls in an strace log, and counts its opens of
/// `blob` (a path's last part).
fn traced(trace: &str, blob: &str) -> (u64, usize) {
    let sent = trace
        .lines()
        .filter(|line| line.contains("sendfile("))
        .filter_map(|line| line.rsplit("= ").next()?.trim().parse::<u64>().ok())
        .sum();
    let opens = trace
        .lines()
        .filter(|line| line.contains("openat(") && line.contains(blob))
        .count();
    (sent, opens)
}

/// The status of each head the lane sent, and whether it went with `MSG_MORE`.
fn corked_heads(trace: &str) -> Vec<(&str, bool)> {
    trace
        .lines()
        .filter(|line| line.contains("sendto(") && line.contains("\"HTTP/1.1 "))
        .filter_map(|line| {
            let status = line.split("HTTP/1.1 ").nth(1)?.get(..3)?;
            Some((status, line.contains("MSG_MORE")))
        })
        .collect()
}

#[test]
fn blob_bytes_leave_by_sendfile_from_one_descriptor_that_removal_lets_go() {
    let dir = tempfile::tempdir().expect("dir");
    let trace = dir.path().join("trace");
    let trace_arg = trace.to_str().expect("utf-8");
    let strace = ["env", "HOARD_STORAGE_BACKEND=local", "strace", "-f", "-qq"];
    let strace = [
        &strace[..],
        &["-e", "trace=sendfile,openat,sendto", "-o", trace_arg],
    ]
    .concat();
    let mut server = Server::start_under(&strace, &dir.path().join("data"), None);
    // Killing strace (the server's child process) would leave the traced hoard running.
    let _hoard = KilledOnDrop(hoard_pid(&server));
    server.sign_up("alice", PASSWORD);
    let data = pattern(1 << 20);
    let id = put(&server, "one.bin", &data);
    let bearer = format!("Bearer {}", server.token);
    let auth = [("Authorization", bearer.as_str())];
    let path = format!("/api/v1/files/{id}/download");
    for _ in 0..3 {
        assert!(once(&server, "GET", &path, &auth).body == data);
    }
    let ranged = [auth[0], ("Range", "bytes=1000-1999")];
    assert_eq!(once(&server, "GET", &path, &ranged).body, &data[1000..2000]);
    let on_a_page = [auth[0], ("Range", "bytes=8192-9191")];
    assert_eq!(
        once(&server, "GET", &path, &on_a_page).body,
        &data[8192..9192]
    );
    // The full path (hyper) copies through user space: no sendfile.
    assert!(once(&server, "GET", &format!("{path}?via=full"), &auth).body == data);

    let sha = crate::support::random::sha256_hex(&data);
    let trace = std::fs::read_to_string(&trace).expect("trace");
    let (sent, opens) = traced(&trace, &sha);
    assert_eq!((sent, opens), (3 * (1 << 20) + 2000, 1));
    // The head is corked (MSG_MORE) in front of file bytes that start on a page boundary
    // only: corked before an unaligned piece, it cost the server 2.4x the CPU per range.
    assert_eq!(
        corked_heads(&trace),
        [("200", true); 3]
            .iter()
            .copied()
            .chain([("206", false), ("206", true)])
            .collect::<Vec<_>>()
    );

    // Deleted and purged, the blob is removed, and its descriptor closed with it.
    server.delete_and_purge(id);
    let blobs = server.data.join("blobs");
    assert!(walk(&blobs).is_empty(), "the blob file is gone");
    let pid = hoard_pid(&server);
    let held: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .map(|target| target.display().to_string())
        .filter(|target| target.contains(&sha))
        .collect();
    assert!(held.is_empty(), "descriptors of a removed blob: {held:?}");
}

/// A process killed (SIGKILL) when this is dropped.
struct KilledOnDrop(u32);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-9", &self.0.to_string()])
            .status();
    }
}

/// Files under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => files.extend(walk(&path)),
            false => files.push(path),
        }
    }
    files
}

/// The pid of the `hoard` process under the server's wrappers (env, strace).
fn hoard_pid(server: &Server) -> u32 {
    let mut pid = server.child.id();
    for _ in 0..3 {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "hoard" {
            return pid;
        }
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        pid = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(pid);
    }
    panic!("no hoard process under {}", server.child.id());
}
