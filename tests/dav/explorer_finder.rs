//! What Windows Explorer and macOS Finder send, replayed: LOCK before writing, a refresh,
//! UNLOCK; PROPPATCH of the Win32 times after each upload; Finder's chunked PUT with
//! `X-Expected-Entity-Length`; `._` and `.DS_Store` files; 423 for writes without the token.

use crate::client::Body;
use crate::{serve, User};

const LOCKINFO: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>WIN-PC\alice</D:href></D:owner></D:lockinfo>"#;

fn lock(user: &User, path: &str) -> String {
    let headers = [
        ("Timeout", "Second-3600"),
        ("Depth", "0"),
        ("Content-Type", "text/xml"),
    ];
    let reply = user.dav("LOCK", path, &headers, Body::Bytes(LOCKINFO.as_bytes()));
    assert!(matches!(reply.status, 200 | 201), "{}", reply.text());
    let token = reply.header("lock-token").unwrap();
    assert!(
        token.starts_with("<opaquelocktoken:") && token.ends_with('>'),
        "{token}"
    );
    assert!(
        reply.text().contains("<D:lockdiscovery>"),
        "{}",
        reply.text()
    );
    assert!(
        reply.text().contains(r"WIN-PC\alice"),
        "the owner comes back: {}",
        reply.text()
    );
    token.trim_matches(|c| c == '<' || c == '>').to_owned()
}

#[test]
fn explorer_locks_writes_patches_win32_times_and_unlocks() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "explorer");
    // Explorer's copy of a new file: LOCK the unmapped URL (an empty file appears)...
    let token = lock(&user, "/dav/report.docx");
    let (status, entry) = user.api_entry("/report.docx");
    assert_eq!((status, entry["size"].as_i64()), (200, Some(0)));
    // ...a write without the token is 423 with the precondition and changes nothing...
    let refused = user.put("/dav/report.docx", b"intruder");
    refused.assert_status(423);
    assert!(
        refused.text().contains("<D:lock-token-submitted>"),
        "{}",
        refused.text()
    );
    assert!(
        refused.text().contains("/dav/report.docx"),
        "{}",
        refused.text()
    );
    assert_eq!(user.get("/dav/report.docx").body, b"");
    // ...the owner writes with the token...
    let if_header = format!("(<{token}>)");
    let put = user.dav(
        "PUT",
        "/dav/report.docx",
        &[("If", &if_header)],
        Body::Bytes(b"the report"),
    );
    put.assert_status(204);
    // ...and sets its times, which Explorer treats as part of the copy.
    let patch = r#"<?xml version="1.0" encoding="utf-8" ?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>
<Z:Win32CreationTime>Mon, 01 Jun 2026 10:00:00 GMT</Z:Win32CreationTime>
<Z:Win32LastAccessTime>Mon, 01 Jun 2026 10:00:00 GMT</Z:Win32LastAccessTime>
<Z:Win32LastModifiedTime>Mon, 01 Jun 2026 10:00:00 GMT</Z:Win32LastModifiedTime>
<Z:Win32FileAttributes>00000020</Z:Win32FileAttributes>
</D:prop></D:set></D:propertyupdate>"#;
    let patched = user.dav(
        "PROPPATCH",
        "/dav/report.docx",
        &[("If", &if_header)],
        Body::Bytes(patch.as_bytes()),
    );
    patched.assert_status(207);
    assert_eq!(
        patched.text().matches("HTTP/1.1 200 OK").count(),
        4,
        "{}",
        patched.text()
    );
    let props = user.propfind("/dav/report.docx", "0", r#"<D:propfind xmlns:D="DAV:"><D:prop><Z:Win32FileAttributes xmlns:Z="urn:schemas-microsoft-com:"/></D:prop></D:propfind>"#);
    assert!(props.text().contains(">00000020</"), "{}", props.text());
    // A refresh keeps the lock; UNLOCK with a wrong token is 409 and keeps it too.
    let refresh = user.dav(
        "LOCK",
        "/dav/report.docx",
        &[("If", &if_header), ("Timeout", "Second-600")],
        Body::None,
    );
    refresh.assert_status(200);
    assert!(refresh.text().contains("Second-"), "{}", refresh.text());
    let wrong = user.dav(
        "UNLOCK",
        "/dav/report.docx",
        &[(
            "Lock-Token",
            "<opaquelocktoken:00000000-0000-4000-8000-000000000000>",
        )],
        Body::None,
    );
    wrong.assert_status(409);
    user.put("/dav/report.docx", b"still locked")
        .assert_status(423);
    let lock_token = format!("<{token}>");
    user.dav(
        "UNLOCK",
        "/dav/report.docx",
        &[("Lock-Token", &lock_token)],
        Body::None,
    )
    .assert_status(204);
    user.put("/dav/report.docx", b"free again")
        .assert_status(204);
    assert_eq!(user.get("/dav/report.docx").body, b"free again");
}

#[test]
fn locks_survive_a_restart() {
    let (_dir, mut server) = serve("");
    let name = {
        let user = User::new(&server, "restart");
        user.put("/dav/kept.txt", b"v1").assert_status(201);
        lock(&user, "/dav/kept.txt");
        user.name.clone()
    };
    server.restart();
    let addr = server.base.trim_start_matches("http://").to_owned();
    let auth = crate::client::basic(&name, crate::PASSWORD);
    let put = crate::client::send(
        &addr,
        "PUT",
        "/dav/kept.txt",
        &[("Authorization", &auth)],
        Body::Bytes(b"v2"),
    );
    put.assert_status(423);
    let found = crate::client::send(
        &addr,
        "PROPFIND",
        "/dav/kept.txt",
        &[("Authorization", &auth), ("Depth", "0")],
        Body::None,
    );
    assert!(found.text().contains("<D:activelock>"), "{}", found.text());
}

#[test]
fn a_folder_lock_guards_new_members_and_a_shared_lock_admits_another() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "coll");
    user.mkcol("/dav/team/").assert_status(201);
    let lockinfo = LOCKINFO.replace("exclusive", "shared");
    let first = user.dav(
        "LOCK",
        "/dav/team/",
        &[("Depth", "infinity")],
        Body::Bytes(lockinfo.as_bytes()),
    );
    first.assert_status(200);
    let token = first.header("lock-token").unwrap().to_owned();
    // A second shared lock is granted; an exclusive one is 423.
    user.dav("LOCK", "/dav/team/", &[], Body::Bytes(lockinfo.as_bytes()))
        .assert_status(200);
    let exclusive = user.dav("LOCK", "/dav/team/", &[], Body::Bytes(LOCKINFO.as_bytes()));
    exclusive.assert_status(423);
    assert!(
        exclusive.text().contains("no-conflicting-lock"),
        "{}",
        exclusive.text()
    );
    // New members need a token of the folder's locks.
    user.put("/dav/team/new.txt", b"x").assert_status(423);
    user.mkcol("/dav/team/sub/").assert_status(423);
    let if_header = format!("({token})");
    // One holder of a shared lock may write: either token will do.
    let put = user.dav(
        "PUT",
        "/dav/team/new.txt",
        &[("If", &if_header)],
        Body::Bytes(b"x"),
    );
    put.assert_status(201);
    assert_eq!(user.get("/dav/team/new.txt").body, b"x");
}

#[test]
fn finder_chunked_put_with_expected_length_and_its_dot_underscore_files() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "finder");
    let headers = [("X-Expected-Entity-Length", "11")];
    let chunks = vec![&b"hello "[..], &b"world"[..]];
    let put = user.dav("PUT", "/dav/notes.txt", &headers, Body::Chunked(chunks));
    put.assert_status(201);
    assert_eq!(user.get("/dav/notes.txt").body, b"hello world");
    for junk in ["/dav/._notes.txt", "/dav/.DS_Store"] {
        user.put(junk, b"\0\x05\x16\x07").assert_status(201);
    }
    // With ignore_system_files, the same names are 403 and nothing is stored.
    let (_dir, strict) = serve("[webdav]\nignore_system_files = true");
    let tidy = User::new(&strict, "tidy");
    for junk in [
        "/dav/._notes.txt",
        "/dav/.DS_Store",
        "/dav/Thumbs.db",
        "/dav/desktop.ini",
    ] {
        tidy.put(junk, b"junk").assert_error(403, "forbidden");
    }
    tidy.put("/dav/real.txt", b"kept").assert_status(201);
    let copy = tidy.dav(
        "COPY",
        "/dav/real.txt",
        &[("Destination", "/dav/._real.txt")],
        Body::None,
    );
    copy.assert_error(403, "forbidden");
    let names = tidy.names_at_root();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("._") && n != ".DS_Store"),
        "{names:?}"
    );
}

impl User<'_> {
    fn names_at_root(&self) -> Vec<String> {
        self.api_names(None)
    }
}
