//! Hostile input at /dav/: each gets a clear status in the SPEC's shape, never a 5xx, and
//! changes nothing.

use crate::client::{basic, send, Body};
use crate::{check, serve, User, PASSWORD};

#[test]
fn destinations_elsewhere_and_traversal_are_refused() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "trav");
    user.put("/dav/f.txt", b"f").assert_status(201);
    let cases = [
        ("http://evil.example/dav/g.txt", 502),
        ("http://127.0.0.1:1/dav/g.txt", 502),
        ("/api/v1/files/g.txt", 403),
        ("/dav/../api/g.txt", 400),
        ("/dav/%2e%2e/g.txt", 400),
        ("/dav/a%2Fg.txt", 400),
        ("/dav/%zz", 400),
        ("not a uri at all", 400),
    ];
    for (destination, status) in cases {
        for method in ["COPY", "MOVE"] {
            let reply = user.dav(
                method,
                "/dav/f.txt",
                &[("Destination", destination)],
                Body::None,
            );
            assert_eq!(
                reply.status,
                status,
                "{method} → {destination}: {}",
                reply.text()
            );
            assert!(reply.json()["code"].is_string(), "{}", reply.text());
        }
    }
    for path in [
        "/dav/../api/v1/users/me",
        "/dav/%2e%2e/x",
        "/dav/x/%2E%2E/%2E%2E/etc",
        "/dav/%00",
        "/dav/a%2F..%2Fb",
    ] {
        let reply = user.dav("PUT", path, &[], Body::Bytes(b"x"));
        assert!(
            matches!(reply.status, 400 | 404),
            "{path}: {} {}",
            reply.status,
            reply.text()
        );
    }
    assert_eq!(user.api_names(None), vec!["f.txt"]);
}

#[test]
fn xml_bombs_deep_nesting_and_huge_bodies_are_refused() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "bomb");
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><D:propfind xmlns:D="DAV:"><D:prop><D:x>&lol3;</D:x></D:prop></D:propfind>"#;
    user.propfind("/dav/", "0", laughs)
        .assert_error(400, "bad_request");
    let external = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:"><D:prop>&e;</D:prop></D:propfind>"#;
    user.propfind("/dav/", "0", external)
        .assert_error(400, "bad_request");
    let deep = format!(
        "<D:propfind xmlns:D=\"DAV:\">{}{}</D:propfind>",
        "<D:prop>".repeat(10_000),
        "</D:prop>".repeat(10_000)
    );
    user.propfind("/dav/", "0", &deep)
        .assert_error(400, "bad_request");
    user.propfind("/dav/", "0", "<D:propfind xmlns:D=\"DAV:\"><D:prop>")
        .assert_error(400, "bad_request");
    // 100 MB chunked: 413 once past the limit (declared: the next test).
    let huge = vec![b' '; 2 * 1024 * 1024];
    let chunks: Vec<&[u8]> = std::iter::repeat_n(&huge[..], 50).collect();
    let chunked = user.dav(
        "PROPFIND",
        "/dav/",
        &[("Depth", "0")],
        Body::Chunked(chunks),
    );
    chunked.assert_error(413, "too_large");
    let lock = user.dav("LOCK", "/dav/x", &[], Body::Chunked(vec![&huge[..]]));
    lock.assert_error(413, "too_large");
    assert!(user.api_names(None).is_empty(), "the LOCK created nothing");
}

#[test]
fn a_declared_huge_body_is_refused_before_it_is_sent() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "declared");
    let auth = user.basic();
    // Only the head: a server that waited for 100 MB would never answer.
    let mut stream = std::net::TcpStream::connect(user.addr()).unwrap();
    use std::io::{Read, Write};
    let head = format!("PROPFIND /dav/ HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nDepth: 0\r\nContent-Length: 104857600\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 12];
    stream.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 413");
}

#[test]
fn bad_headers_are_400_and_change_nothing() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "hdr");
    user.put("/dav/h.txt", b"h").assert_status(201);
    for (name, value) in [
        ("If", "(<unterminated"),
        ("If", "garbage"),
        ("Depth", "2"),
        ("Overwrite", "maybe"),
    ] {
        let method = if name == "Depth" || name == "Overwrite" {
            "COPY"
        } else {
            "PUT"
        };
        let headers = [(name, value), ("Destination", "/dav/copy.txt")];
        let reply = user.dav(method, "/dav/h.txt", &headers, Body::Bytes(b"changed"));
        reply.assert_error(400, "bad_request");
    }
    user.dav(
        "UNLOCK",
        "/dav/h.txt",
        &[("Lock-Token", "no-brackets")],
        Body::None,
    )
    .assert_error(400, "bad_request");
    user.dav("UNLOCK", "/dav/h.txt", &[], Body::None)
        .assert_error(400, "bad_request");
    user.dav("BREW", "/dav/h.txt", &[], Body::None)
        .assert_status(405);
    assert_eq!(user.get("/dav/h.txt").body, b"h");
    assert_eq!(user.api_names(None), vec!["h.txt"]);
}

#[test]
fn forged_and_foreign_lock_tokens_open_nothing() {
    let (_dir, server) = serve("");
    let alice = User::new(&server, "forge-a");
    let bob = User::new(&server, "forge-b");
    for user in [&alice, &bob] {
        user.put("/dav/shared-name.txt", b"original")
            .assert_status(201);
    }
    let lockinfo = r#"<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"#;
    let a_lock = alice.dav(
        "LOCK",
        "/dav/shared-name.txt",
        &[],
        Body::Bytes(lockinfo.as_bytes()),
    );
    a_lock.assert_status(200);
    let b_lock = bob.dav(
        "LOCK",
        "/dav/shared-name.txt",
        &[],
        Body::Bytes(lockinfo.as_bytes()),
    );
    b_lock.assert_status(200);
    let a_token = a_lock.header("lock-token").unwrap().to_owned();
    let b_token = b_lock.header("lock-token").unwrap().to_owned();
    // Bob's token does not open Alice's file, nor a made-up one; a Not-list that holds
    // does not submit anything.
    for if_header in [
        format!("({b_token})"),
        "(<opaquelocktoken:00000000-0000-4000-8000-000000000000>)".to_owned(),
        "(Not <DAV:no-lock>)".to_owned(),
        format!("(Not {a_token})"),
    ] {
        let reply = alice.dav(
            "PUT",
            "/dav/shared-name.txt",
            &[("If", &if_header)],
            Body::Bytes(b"forged"),
        );
        assert!(
            matches!(reply.status, 412 | 423),
            "{if_header}: {} {}",
            reply.status,
            reply.text()
        );
    }
    alice
        .dav(
            "UNLOCK",
            "/dav/shared-name.txt",
            &[("Lock-Token", &b_token)],
            Body::None,
        )
        .assert_status(409);
    assert_eq!(alice.get("/dav/shared-name.txt").body, b"original");
    assert_eq!(bob.get("/dav/shared-name.txt").body, b"original");
    // Bob's lock is still Bob's.
    bob.put("/dav/shared-name.txt", b"no token")
        .assert_status(423);
}

#[test]
fn no_method_answers_500_for_odd_but_wellformed_requests() {
    let (dir, server) = serve("");
    let user = User::new(&server, "odd");
    let addr = user.addr();
    let auth = basic(&user.name, PASSWORD);
    let bodies: [&[u8]; 5] = [
        b"",
        b"<x/>",
        b"\xff\xfe",
        b"<D:propfind xmlns:D=\"DAV:\"><D:bogus/></D:propfind>",
        b"<?xml version=\"1.0\"?>",
    ];
    for method in [
        "PROPFIND",
        "PROPPATCH",
        "LOCK",
        "UNLOCK",
        "MKCOL",
        "COPY",
        "MOVE",
        "DELETE",
        "PUT",
        "GET",
        "HEAD",
    ] {
        for path in ["/dav/", "/dav/missing", "/dav/missing/deeper/"] {
            for body in bodies {
                let headers = [
                    ("Authorization", auth.as_str()),
                    ("Depth", "0"),
                    ("Destination", "/dav/elsewhere"),
                ];
                let reply = send(&addr, method, path, &headers, Body::Bytes(body));
                assert!(
                    reply.status < 500,
                    "{method} {path} {body:?}: {} {}",
                    reply.status,
                    reply.text()
                );
            }
        }
    }
    let (code, out) = check(&dir.path().join("data"));
    assert_eq!(code, 0, "{out}");
}
