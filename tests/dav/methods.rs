//! Every method's rules (SPEC §11) and that WebDAV and the API are one drive.

use crate::client::Body;
use crate::{check, hrefs, serve, User};

#[test]
fn mkcol_put_get_and_their_refusals() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "methods");
    user.mkcol("/dav/docs/").assert_status(201);
    user.mkcol("/dav/docs/")
        .assert_error(405, "method_not_allowed");
    user.mkcol("/dav/missing/child/")
        .assert_error(409, "conflict");
    let body = user.dav("MKCOL", "/dav/withbody/", &[], Body::Bytes(b"<x/>"));
    body.assert_status(415);
    user.mkcol("/dav/bad%01name/")
        .assert_error(400, "invalid_name");
    user.put("/dav/a%2Fb.txt", b"x")
        .assert_error(400, "invalid_name");

    let created = user.put("/dav/docs/a.txt", b"first");
    created.assert_status(201);
    let etag = created.header("etag").unwrap().to_owned();
    assert_eq!(
        etag,
        format!("\"{}\"", crate::support::random::sha256_hex(b"first"))
    );
    user.put("/dav/docs/a.txt", b"second!").assert_status(204);
    user.put("/dav/nowhere/a.txt", b"x")
        .assert_error(409, "conflict");
    user.put("/dav/docs/", b"x").assert_status(405);

    let got = user.get("/dav/docs/a.txt");
    got.assert_status(200);
    assert_eq!(got.body, b"second!");
    let etag = got.header("etag").unwrap().to_owned();
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    let range = user.dav(
        "GET",
        "/dav/docs/a.txt",
        &[("Range", "bytes=1-3")],
        Body::None,
    );
    range.assert_status(206);
    assert_eq!(range.body, b"eco");
    assert_eq!(range.header("content-range"), Some("bytes 1-3/7"));
    let cached = user.dav(
        "GET",
        "/dav/docs/a.txt",
        &[("If-None-Match", &etag)],
        Body::None,
    );
    cached.assert_status(304);
    let head = user.dav("HEAD", "/dav/docs/a.txt", &[], Body::None);
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("7"))
    );
    user.get("/dav/docs/nope.txt")
        .assert_error(404, "not_found");
    // An uploaded page never runs: it is served as an attachment, sandboxed.
    user.put("/dav/page.html", b"<script>alert(1)</script>")
        .assert_status(201);
    let page = user.get("/dav/page.html");
    assert!(page
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("sandbox"));
    // The same bytes through the API, at once.
    let (status, entry) = user.api_entry("/docs/a.txt");
    assert_eq!((status, entry["size"].as_i64()), (200, Some(7)));
}

#[test]
fn put_if_match_and_if_none_match() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "cond");
    let first = user.put("/dav/c.txt", b"one");
    let etag = first.header("etag").unwrap().to_owned();
    let create_only = [("If-None-Match", "*")];
    user.dav("PUT", "/dav/c.txt", &create_only, Body::Bytes(b"two"))
        .assert_status(412);
    user.dav(
        "PUT",
        "/dav/c.txt",
        &[("If-Match", "\"nope\"")],
        Body::Bytes(b"two"),
    )
    .assert_status(412);
    user.dav(
        "PUT",
        "/dav/c.txt",
        &[("If-Match", &etag)],
        Body::Bytes(b"two"),
    )
    .assert_status(204);
    assert_eq!(user.get("/dav/c.txt").body, b"two");
}

#[test]
fn quota_is_checked_up_front_and_while_streaming_and_keeps_the_old_content() {
    let (_dir, server) = serve("");
    let admin = User::new(&server, "qadmin");
    let user = User::new(&server, "quota");
    let (_, me) = user.api("GET", "/api/v1/users/me", None);
    let id = me["id"].as_i64().unwrap();
    let (status, body) = admin.api(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(serde_json::json!({"storage_quota": 1000})),
    );
    assert_eq!(status, 200, "{body}");
    user.put("/dav/keep.txt", &[b'k'; 600]).assert_status(201);
    // Declared too large: 507 before a byte is read.
    let big = [("X-Expected-Entity-Length", "5000")];
    let refused = user.dav(
        "PUT",
        "/dav/big.bin",
        &big,
        Body::Chunked(vec![&[0u8; 100][..]]),
    );
    refused.assert_error(507, "quota_exceeded");
    // Undeclared and too large: 507 while streaming; the old content stays.
    let chunk = [1u8; 300];
    let streamed = user.dav(
        "PUT",
        "/dav/keep.txt",
        &[],
        Body::Chunked(vec![&chunk[..]; 4]),
    );
    streamed.assert_error(507, "quota_exceeded");
    assert_eq!(user.get("/dav/keep.txt").body, vec![b'k'; 600]);
    assert_eq!(user.api_names(None), vec!["keep.txt"]);
    assert_eq!(user.used(), 600);
    let quota = user.propfind("/dav/", "0", r#"<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"#);
    assert!(
        quota
            .text()
            .contains("<D:quota-used-bytes>600</D:quota-used-bytes>"),
        "{}",
        quota.text()
    );
    assert!(
        quota
            .text()
            .contains("<D:quota-available-bytes>400</D:quota-available-bytes>"),
        "{}",
        quota.text()
    );
}

#[test]
fn delete_goes_to_the_trash_a_folder_as_one_item() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "trash");
    user.mkcol("/dav/old/").assert_status(201);
    user.put("/dav/old/a.txt", b"a").assert_status(201);
    user.put("/dav/old/b.txt", b"b").assert_status(201);
    user.put("/dav/loose.txt", b"c").assert_status(201);
    user.dav("DELETE", "/dav/old/", &[], Body::None)
        .assert_status(204);
    user.dav("DELETE", "/dav/loose.txt", &[], Body::None)
        .assert_status(204);
    user.dav("DELETE", "/dav/loose.txt", &[], Body::None)
        .assert_error(404, "not_found");
    user.dav("DELETE", "/dav/", &[], Body::None)
        .assert_status(403);
    let mut trashed: Vec<String> = user
        .trash()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    trashed.sort();
    assert_eq!(trashed, vec!["loose.txt", "old"]);
    assert!(user.api_names(None).is_empty());
}

#[test]
fn copy_and_move_share_blobs_honour_overwrite_and_trash_what_they_replace() {
    let (dir, server) = serve("");
    let user = User::new(&server, "cm");
    user.mkcol("/dav/src/").assert_status(201);
    user.put("/dav/src/f.txt", b"payload").assert_status(201);
    user.put("/dav/other.txt", b"other").assert_status(201);
    let copy = user.dav(
        "COPY",
        "/dav/src/",
        &[("Destination", "/dav/dst/")],
        Body::None,
    );
    copy.assert_status(201);
    assert_eq!(user.get("/dav/dst/f.txt").body, b"payload");
    assert_eq!(user.used(), 7 + 5 + 7, "a copy counts toward the quota");
    let f = [("Destination", "/dav/other.txt"), ("Overwrite", "F")];
    user.dav("COPY", "/dav/src/f.txt", &f, Body::None)
        .assert_status(412);
    let t = [("Destination", "/dav/other.txt")];
    user.dav("MOVE", "/dav/src/f.txt", &t, Body::None)
        .assert_status(204);
    assert_eq!(user.get("/dav/other.txt").body, b"payload");
    user.get("/dav/src/f.txt").assert_status(404);
    assert_eq!(
        user.trash()[0]["name"],
        "other.txt",
        "the replaced file is in the trash"
    );
    let depth0 = [("Destination", "/dav/empty/"), ("Depth", "0")];
    user.dav("COPY", "/dav/dst/", &depth0, Body::None)
        .assert_status(201);
    assert!(
        user.propfind("/dav/empty/", "1", "")
            .text()
            .matches("<D:response>")
            .count()
            == 1
    );
    let into_itself = [("Destination", "/dav/dst/inner/")];
    user.dav("MOVE", "/dav/dst/", &into_itself, Body::None)
        .assert_status(403);
    let same = [("Destination", "/dav/dst/")];
    user.dav("MOVE", "/dav/dst/", &same, Body::None)
        .assert_status(403);
    user.dav(
        "MOVE",
        "/dav/dst/",
        &[("Destination", "/dav/no/where/")],
        Body::None,
    )
    .assert_status(409);
    user.dav(
        "COPY",
        "/dav/dst/",
        &[("Destination", "/dav/d1/"), ("Depth", "1")],
        Body::None,
    )
    .assert_status(400);
    let (code, out) = check(&dir.path().join("data"));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn propfind_depths_and_the_listing() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "pf");
    user.mkcol("/dav/dir/").assert_status(201);
    for name in ["b.txt", "a b.txt", "报告.pdf"] {
        user.put(&format!("/dav/dir/{}", crate::client::encode(name)), b"x")
            .assert_status(201);
    }
    let refused = user.propfind("/dav/dir/", "infinity", "");
    refused.assert_status(403);
    assert!(
        refused.text().contains("<D:propfind-finite-depth/>"),
        "{}",
        refused.text()
    );
    let missing_depth = user.dav("PROPFIND", "/dav/dir/", &[], Body::None);
    missing_depth.assert_status(403);
    let zero = user.propfind("/dav/dir/", "0", "");
    assert_eq!(hrefs(&zero.text()), vec!["/dav/dir/"]);
    let one = user.propfind("/dav/dir/", "1", "");
    one.assert_status(207);
    assert_eq!(
        hrefs(&one.text()),
        vec![
            "/dav/dir/",
            "/dav/dir/a%20b.txt",
            "/dav/dir/b.txt",
            "/dav/dir/%E6%8A%A5%E5%91%8A.pdf"
        ]
    );
    let text = one.text();
    assert!(text.contains("<D:getcontentlength>1</D:getcontentlength>"));
    assert!(text.contains("<D:resourcetype><D:collection/></D:resourcetype>"));
    let names = user.propfind(
        "/dav/dir/b.txt",
        "0",
        r#"<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>"#,
    );
    assert!(names.text().contains("<D:getetag/>"), "{}", names.text());
    let some = user.propfind("/dav/dir/b.txt", "0", r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><X:nope xmlns:X="urn:x"/></D:prop></D:propfind>"#);
    let text = some.text();
    assert!(
        text.contains("HTTP/1.1 404 Not Found") && text.contains("nope"),
        "{text}"
    );
    user.propfind("/dav/none/", "0", "")
        .assert_error(404, "not_found");
}

#[test]
fn proppatch_stores_dead_properties_and_refuses_live_ones_atomically() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "pp");
    user.put("/dav/p.txt", b"x").assert_status(201);
    let set = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>blue &amp; <Z:b>bold</Z:b></Z:colour></D:prop></D:set></D:propertyupdate>"#;
    user.dav("PROPPATCH", "/dav/p.txt", &[], Body::Bytes(set.as_bytes()))
        .assert_status(207);
    let bad = r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:size>9</Z:size><D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>"#;
    let refused = user.dav("PROPPATCH", "/dav/p.txt", &[], Body::Bytes(bad.as_bytes()));
    refused.assert_status(207);
    assert!(
        refused.text().contains("HTTP/1.1 403 Forbidden"),
        "{}",
        refused.text()
    );
    assert!(
        refused.text().contains("HTTP/1.1 424 Failed Dependency"),
        "{}",
        refused.text()
    );
    let all = user.propfind("/dav/p.txt", "0", "").text();
    assert!(
        all.contains("blue &amp; <x0:b xmlns:x0=\"urn:z\">bold</x0:b>"),
        "{all}"
    );
    assert!(
        !all.contains(":size"),
        "nothing of the refused patch was applied: {all}"
    );
    let remove = r#"<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><Z:colour xmlns:Z="urn:z"/></D:prop></D:remove></D:propertyupdate>"#;
    user.dav(
        "PROPPATCH",
        "/dav/p.txt",
        &[],
        Body::Bytes(remove.as_bytes()),
    )
    .assert_status(207);
    assert!(!user
        .propfind("/dav/p.txt", "0", "")
        .text()
        .contains("colour"));
    // A copy keeps them; the trash keeps them with the entry.
    user.dav("PROPPATCH", "/dav/p.txt", &[], Body::Bytes(set.as_bytes()))
        .assert_status(207);
    user.dav(
        "COPY",
        "/dav/p.txt",
        &[("Destination", "/dav/q.txt")],
        Body::None,
    )
    .assert_status(201);
    assert!(user
        .propfind("/dav/q.txt", "0", "")
        .text()
        .contains("colour"));
}

#[test]
fn the_api_and_webdav_see_one_drive() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "one");
    // API → WebDAV.
    let (status, _) = user.api_put_by_path("/from-api/x.txt", b"api bytes");
    assert_eq!(status, 201);
    assert_eq!(user.get("/dav/from-api/x.txt").body, b"api bytes");
    assert!(hrefs(&user.propfind("/dav/from-api/", "1", "").text())
        .contains(&"/dav/from-api/x.txt".to_owned()));
    // WebDAV → API.
    user.put("/dav/from-api/y.txt", b"dav bytes")
        .assert_status(201);
    let (status, entry) = user.api_entry("/from-api/y.txt");
    assert_eq!((status, entry["size"].as_i64()), (200, Some(9)));
    let id = entry["id"].as_i64().unwrap();
    let (status, _) = user.api("DELETE", &format!("/api/v1/files/{id}"), None);
    assert_eq!(status, 204);
    user.get("/dav/from-api/y.txt").assert_status(404);
    // Another user's tree is not this one: the same path is theirs, or 404.
    let other = User::new(&server, "one-other");
    other
        .get("/dav/from-api/x.txt")
        .assert_error(404, "not_found");
}

impl User<'_> {
    fn api_put_by_path(&self, path: &str, bytes: &[u8]) -> (u16, Vec<u8>) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let auth = format!("Authorization: Bearer {}", self.access);
        let url = self
            .server
            .url(&format!("/api/v1/files/by-path?path={path}"));
        let file_path = file.path().to_str().unwrap().to_owned();
        crate::support::server::curl(&["-T", &file_path, "-H", &auth, &url])
    }
}

#[test]
fn an_interrupted_put_leaves_the_old_content() {
    let (_dir, server) = serve("");
    use std::io::Write;
    let user = User::new(&server, "cut");
    user.put("/dav/doc.txt", b"the old content")
        .assert_status(201);
    let mut stream = std::net::TcpStream::connect(user.addr()).unwrap();
    let head = format!(
        "PUT /dav/doc.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 100000\r\n\r\n",
        user.basic()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b'n'; 5000]).unwrap();
    drop(stream);
    // The server has the cut-off body by the time a later request on another connection
    // is answered after it; either way the old content must be what GET returns.
    user.dav("PROPFIND", "/dav/", &[("Depth", "1")], Body::None)
        .assert_status(207);
    assert_eq!(user.get("/dav/doc.txt").body, b"the old content");
    let (status, entry) = user.api_entry("/doc.txt");
    assert_eq!((status, entry["size"].as_i64()), (200, Some(15)));
}

#[test]
fn dav_without_the_slash_redirects_to_the_root() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "redir");
    let reply = crate::client::send(&user.addr(), "GET", "/dav", &[], Body::None);
    reply.assert_status(301);
    assert_eq!(reply.header("location"), Some("/dav/"));
    let page = user.get("/dav/");
    page.assert_status(200);
    assert!(page.text().contains("WebDAV"), "{}", page.text());
}

#[test]
fn modification_times_come_from_x_oc_mtime_and_proppatch() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "mtime");
    let put = user.dav(
        "PUT",
        "/dav/t.txt",
        &[("X-OC-Mtime", "1600000000")],
        Body::Bytes(b"t"),
    );
    put.assert_status(201);
    assert_eq!(put.header("x-oc-mtime"), Some("accepted"));
    let (_, entry) = user.api_entry("/t.txt");
    assert_eq!(entry["modified_at"], "2020-09-13T12:26:40+00:00");
    let lastmod =
        r#"<D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/></D:prop></D:propfind>"#;
    let found = user.propfind("/dav/t.txt", "0", lastmod).text();
    assert!(
        found.contains("<D:getlastmodified>Sun, 13 Sep 2020 12:26:40 GMT</D:getlastmodified>"),
        "{found}"
    );
    assert_eq!(
        user.get("/dav/t.txt").header("last-modified"),
        Some("Sun, 13 Sep 2020 12:26:40 GMT")
    );
    for bad in ["yesterday", "-5", "99999999999999"] {
        let reply = user.dav(
            "PUT",
            "/dav/t.txt",
            &[("X-OC-Mtime", bad)],
            Body::Bytes(b"changed"),
        );
        assert!(matches!(reply.status, 400 | 422), "{bad}: {}", reply.text());
    }
    assert_eq!(user.get("/dav/t.txt").body, b"t");
    let patch = |prop: &str| {
        format!(
            r#"<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:schemas-microsoft-com:"><D:set><D:prop>{prop}</D:prop></D:set></D:propertyupdate>"#
        )
    };
    let set = patch("<D:getlastmodified>Tue, 02 Jan 2024 03:04:05 GMT</D:getlastmodified>");
    let reply = user.dav("PROPPATCH", "/dav/t.txt", &[], Body::Bytes(set.as_bytes()));
    assert!(reply.text().contains("HTTP/1.1 200 OK"), "{}", reply.text());
    assert_eq!(
        user.api_entry("/t.txt").1["modified_at"],
        "2024-01-02T03:04:05+00:00"
    );
    let win =
        patch("<Z:Win32LastModifiedTime>Wed, 03 Jul 2019 10:00:00 GMT</Z:Win32LastModifiedTime>");
    user.dav("PROPPATCH", "/dav/t.txt", &[], Body::Bytes(win.as_bytes()))
        .assert_status(207);
    assert_eq!(
        user.api_entry("/t.txt").1["modified_at"],
        "2019-07-03T10:00:00+00:00"
    );
    let nonsense = patch("<D:getlastmodified>not a date</D:getlastmodified>");
    let refused = user.dav(
        "PROPPATCH",
        "/dav/t.txt",
        &[],
        Body::Bytes(nonsense.as_bytes()),
    );
    assert!(
        refused.text().contains("HTTP/1.1 409 Conflict"),
        "{}",
        refused.text()
    );
    assert_eq!(
        user.api_entry("/t.txt").1["modified_at"],
        "2019-07-03T10:00:00+00:00"
    );
}

#[test]
fn propfind_of_a_folder_larger_than_a_page_lists_every_child_once() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "big");
    user.mkcol("/dav/many/").assert_status(201);
    for i in 0..1003 {
        user.mkcol(&format!("/dav/many/d{i:04}/"))
            .assert_status(201);
    }
    let listed = hrefs(&user.propfind("/dav/many/", "1", "").text());
    assert_eq!(listed.len(), 1004);
    let mut unique = listed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 1004, "no child twice");
    assert_eq!(listed[1], "/dav/many/d0000/");
    assert_eq!(listed[1003], "/dav/many/d1002/");
}
