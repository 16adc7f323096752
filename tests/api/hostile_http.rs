//! Hostile input at the HTTP layer, against the real `hoard` binary over raw `TcpStream`
//! writes, so every byte is ours: bad methods, duplicate and conflicting headers, huge
//! headers and URLs, smuggling-shaped framing, `Expect: 100-continue`, bodies without
//! `Content-Length`, slow and abandoned bodies. Requests that hyper refuses before the app
//! runs (malformed framing, oversized heads) get hyper's bare status with no body: there
//! the status is asserted and the body must be empty, since no JSON error can be written.

use std::io::Write;
use std::time::Duration;

use crate::helpers::PASSWORD;
use crate::hostile_helpers::*;
use crate::support::server::Server;

const LIMIT: usize = 4096;

/// A server with `max_upload_bytes = LIMIT` and a signed-in admin `alice`.
fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("hoard.toml");
    std::fs::write(&config, format!("[limits]\nmax_upload_bytes = {LIMIT}\n")).expect("config");
    let mut server = Server::start_with_config(&dir.path().join("data"), &config);
    server.sign_up("alice", PASSWORD);
    (dir, server)
}

/// `head` lines joined with CRLF, then the blank line, then `body`.
fn request(head: &[&str], body: &[u8]) -> Vec<u8> {
    let mut bytes = head.join("\r\n").into_bytes();
    bytes.extend_from_slice(b"\r\n\r\n");
    bytes.extend_from_slice(body);
    bytes
}

/// Sends `bytes` between two snapshots; asserts status and code ("" = no JSON body).
fn exchange(server: &Server, label: &str, bytes: &[u8], status: u16, code: &str) -> RawReply {
    let before = World::of(&server.data);
    let reply = raw(&server.base, bytes);
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    assert_eq!(
        (reply.status, reply.code()),
        (status, code.to_owned()),
        "case {label:?}: {body}"
    );
    assert!(
        World::of(&server.data) == before,
        "case {label:?} changed the world"
    );
    reply
}

/// A framing case: extra head lines after `POST /auth/login`, Host and close, and a body.
type Framing = (&'static str, Vec<String>, Vec<u8>, u16, &'static str);

fn framing_cases() -> Vec<Framing> {
    let body = br#"{"username":"alice","password":"nope nope nope"}"#.to_vec();
    let json = "Content-Type: application/json".to_owned();
    let length = format!("Content-Length: {}", body.len());
    let lines = |extra: &[&str]| {
        let mut all = vec![json.clone()];
        all.extend(extra.iter().map(|l| l.to_string()));
        all
    };
    let chunked = "Transfer-Encoding: chunked";
    let overflow = b"ffffffffffffffffff\r\nx\r\n0\r\n\r\n".to_vec();
    vec![
        (
            "two different Content-Lengths",
            lines(&[&length, "Content-Length: 5"]),
            body.clone(),
            400,
            "",
        ),
        (
            "Content-Length and chunked",
            lines(&[&length, chunked]),
            body.clone(),
            400,
            "bad_request",
        ),
        (
            "Transfer-Encoding xchunked",
            lines(&["Transfer-Encoding: xchunked"]),
            body.clone(),
            400,
            "",
        ),
        (
            "chunked then identity",
            lines(&["Transfer-Encoding: chunked, identity"]),
            body.clone(),
            400,
            "",
        ),
        (
            "chunk size overflow",
            lines(&[chunked]),
            overflow,
            400,
            "bad_request",
        ),
        (
            "obs-fold header",
            lines(&[&length, "X-A: 1", " folded"]),
            body.clone(),
            400,
            "",
        ),
        (
            "space before colon",
            lines(&[&length, "Authorization : Bearer x"]),
            body.clone(),
            400,
            "",
        ),
        (
            "negative Content-Length",
            lines(&["Content-Length: -1"]),
            body,
            400,
            "",
        ),
    ]
}

#[test]
fn protocol_abuse_is_refused_with_exact_statuses_and_changes_nothing() {
    let (_dir, server) = server();
    let auth = server.auth();
    let (host, close) = ("Host: 127.0.0.1", "Connection: close");
    for method in ["TRACE", "TRACK", "PROPFIND", "FOO", "get", "CONNECTX"] {
        let line = format!("{method} /api/v1/users/me HTTP/1.1");
        let bytes = request(&[&line, host, &auth, close], b"");
        exchange(
            &server,
            &format!("method {method}"),
            &bytes,
            405,
            "method_not_allowed",
        );
    }
    for (label, extra, body, status, code) in framing_cases() {
        let mut head = vec!["POST /api/v1/auth/login HTTP/1.1", host, close];
        head.extend(extra.iter().map(String::as_str));
        let reply = exchange(&server, label, &request(&head, &body), status, code);
        assert!(
            !code.is_empty() || reply.body.is_empty(),
            "{label}: {:?}",
            reply.body
        );
    }
    let big_header = format!("X-Junk: {}", "a".repeat(512 * 1024));
    // Over the 128 KiB read buffer (`src/http/server.rs`), under hyper's default 408 KiB.
    let over_buffer = format!("X-Junk: {}", "a".repeat(200 * 1024));
    let big_auth = format!("Authorization: Bearer {}", "a".repeat(100 * 1024));
    let many: Vec<String> = (0..200).map(|i| format!("X-H{i}: v")).collect();
    let mut many_head = vec!["GET /health HTTP/1.1", host, close];
    many_head.extend(many.iter().map(String::as_str));
    let long_url = format!("GET /api/v1/files?q={} HTTP/1.1", "a".repeat(100 * 1024));
    let other = "Authorization: Bearer hoard_pat_someone_else";
    let me = "GET /api/v1/users/me HTTP/1.1";
    let cases: Vec<(&str, Vec<&str>, u16, &str)> = vec![
        (
            "512 KiB header",
            vec!["GET /health HTTP/1.1", host, close, &big_header],
            431,
            "",
        ),
        (
            "200 KiB header",
            vec!["GET /health HTTP/1.1", host, close, &over_buffer],
            431,
            "",
        ),
        (
            "100 KiB Authorization",
            vec![me, host, close, &big_auth],
            401,
            "invalid_token",
        ),
        ("200 headers", many_head, 431, ""),
        ("100 KiB URL", vec![&long_url, host, close, &auth], 414, ""),
        (
            "two Authorization headers",
            vec![me, host, close, &auth, other],
            401,
            "unauthorized",
        ),
        (
            "NUL in the path",
            vec!["GET /api/v1/files/1%00 HTTP/1.1", host, close, &auth],
            400,
            "bad_request",
        ),
        (
            "double slashes, no credentials: the UI page, no data",
            vec!["GET //api//v1//users/me HTTP/1.1", host, close],
            200,
            "",
        ),
        (
            "absolute-form, foreign host",
            vec![
                "GET http://evil.example/api/v1 HTTP/1.1",
                "Host: evil.example",
                close,
            ],
            200,
            "",
        ),
    ];
    for (label, head, status, code) in cases {
        let reply = exchange(&server, label, &request(&head, b""), status, code);
        let text = format!("{}{}", reply.head, String::from_utf8_lossy(&reply.body));
        assert!(!text.contains("evil.example"), "{label}: {text}");
        assert!(!text.contains("alice@example.com"), "{label}: {text}");
    }
}

/// A multipart body for one `file` part, and its boundary.
fn multipart(name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "hostile-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (
        format!("Content-Type: multipart/form-data; boundary={boundary}"),
        body,
    )
}

fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn bodies_without_a_length_slow_or_abandoned_are_bounded_and_leave_nothing() {
    let (_dir, server) = server();
    let auth = server.auth();
    let (host, close) = ("Host: 127.0.0.1", "Connection: close");
    let post = "POST /api/v1/files HTTP/1.1";
    let te = "Transfer-Encoding: chunked";
    // Multipart without Content-Length, one byte over the limit.
    let (content_type, body) = multipart("big.bin", &vec![b'x'; LIMIT + 1]);
    let bytes = request(
        &[post, host, close, &auth, &content_type, te],
        &chunked(&body, 1000),
    );
    exchange(
        &server,
        "chunked multipart over the limit",
        &bytes,
        413,
        "too_large",
    );
    // Expect: 100-continue without credentials: refused before any body byte is sent.
    let expect = request(
        &[
            post,
            host,
            close,
            &content_type,
            "Content-Length: 1073741824",
            "Expect: 100-continue",
        ],
        b"",
    );
    exchange(
        &server,
        "100-continue without credentials",
        &expect,
        401,
        "unauthorized",
    );
    // A slow chunked multipart within the limit is accepted whole: 20 writes, 50 ms apart.
    let (content_type, body) = multipart("slow.bin", &vec![b'y'; 2000]);
    let mut stream = connect(&server.base);
    let head = request(&[post, host, close, &auth, &content_type, te], b"");
    stream.write_all(&head).expect("head");
    for piece in chunked(&body, 100).chunks(120) {
        stream.write_all(piece).expect("piece");
        std::thread::sleep(Duration::from_millis(50));
    }
    let reply = read_reply(&mut stream);
    assert_eq!(
        reply.status,
        201,
        "slow body: {:?}",
        String::from_utf8_lossy(&reply.body)
    );
    // An abandoned upload (half a declared body, then the socket closes) leaves nothing once
    // the server notices; the snapshot is polled, never timed.
    let before = World::of(&server.data);
    let (content_type, body) = multipart("abandoned.bin", &vec![b'z'; 3000]);
    let length = format!("Content-Length: {}", body.len());
    let mut stream = connect(&server.base);
    stream
        .write_all(&request(
            &[post, host, close, &auth, &content_type, &length],
            &body[..1500],
        ))
        .expect("half");
    drop(stream);
    let mut settled = false;
    for _ in 0..200 {
        if World::of(&server.data) == before {
            settled = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(settled, "an abandoned upload left something behind");
}
