//! One drive, two doors (SPEC §11): what WebDAV writes the REST API sees at once, and the
//! other way round: new files, renames, moves, replaced content (and its ETag), deletions
//! into the trash and restores; each kind of credential WebDAV takes.

use std::fs;

use serde_json::Value;

use crate::support::random::sha256_hex;
use crate::support::server::curl;
use crate::world::{encode_path, World, PASSWORD};

const FOLDER: &str = "Geteilt 共有";

#[test]
fn webdav_and_the_rest_api_see_each_others_changes_at_once() {
    let world = World::new("consistency_user");
    let (status, _) = world.dav("MKCOL", &format!("/{FOLDER}/"), &[]);
    assert_eq!(status, 201, "MKCOL");

    // WebDAV PUT → the API lists it, with its bytes.
    let dav_file = format!("/{FOLDER}/über dav ✓.txt");
    let bytes = "written over WebDAV ✓\n".repeat(100);
    let (status, _) = world.dav("PUT", &dav_file, &["--data-binary", &bytes]);
    assert_eq!(status, 201, "PUT {dav_file}");
    let entry = world
        .entry(&dav_file)
        .expect("the API sees the WebDAV upload");
    assert_eq!(entry["sha256"], sha256_hex(bytes.as_bytes()), "{entry}");
    assert_eq!(content(&world, &entry), bytes.as_bytes());

    // API PUT by-path → PROPFIND lists it with its length and ETag; GET gives its bytes.
    let api_file = format!("/{FOLDER}/by the API.txt");
    let first = world.dir.path().join("first.txt");
    fs::write(&first, "uploaded through the REST API\n").unwrap();
    let (status, entry) = api_put(&world, &api_file, &first);
    assert_eq!(status, 201, "PUT by-path: {entry}");
    let sha = entry["sha256"].as_str().unwrap().to_owned();
    let (status, listing) = world.propfind(&format!("/{FOLDER}/"), "1");
    assert_eq!(status, 207, "{listing}");
    let listing = listing.replace("&quot;", "\"");
    let href = format!("<D:href>/dav{}</D:href>", encode_path(&api_file));
    let response = listing
        .split("<D:response>")
        .find(|r| r.to_lowercase().contains(&href.to_lowercase()))
        .unwrap_or_else(|| panic!("PROPFIND lists {href}:\n{listing}"));
    assert!(
        response.contains(&format!("<D:getetag>\"{sha}\"</D:getetag>")),
        "{response}"
    );
    assert!(
        response.contains("<D:getcontentlength>30</D:getcontentlength>"),
        "{response}"
    );
    assert_eq!(
        world.dav("GET", &api_file, &[]),
        (200, fs::read(&first).unwrap())
    );

    // API replaces the content → WebDAV serves the new bytes under a new ETag.
    let second = world.dir.path().join("second.txt");
    fs::write(&second, "replaced through the REST API\n").unwrap();
    let (status, replaced) = api_put(&world, &api_file, &second);
    assert_eq!(status, 200, "PUT by-path again: {replaced}");
    assert_eq!(
        world.dav("GET", &api_file, &[]),
        (200, fs::read(&second).unwrap())
    );
    let props = world.propfind(&api_file, "0").1.replace("&quot;", "\"");
    let new_sha = replaced["sha256"].as_str().unwrap();
    assert!(
        new_sha != sha && props.contains(&format!("\"{new_sha}\"")),
        "{props}"
    );

    // API rename → the old URL is gone and the new one answers.
    let id = replaced["id"].as_u64().unwrap();
    let (status, renamed) = world.server.json(
        &format!("/api/v1/files/{id}"),
        &[
            "-X",
            "PATCH",
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"name":"renamé.txt"}"#,
        ],
    );
    assert_eq!(status, 200, "PATCH: {renamed}");
    assert_eq!(world.dav("GET", &api_file, &[]).0, 404);
    assert_eq!(
        world.dav("GET", &format!("/{FOLDER}/renamé.txt"), &[]).0,
        200
    );

    // WebDAV MOVE to the root → the API finds it there.
    let destination = format!("Destination: {}", world.dav_url("/moved to root.txt"));
    let (status, _) = world.dav("MOVE", &dav_file, &["-H", &destination]);
    assert_eq!(status, 201, "MOVE");
    assert!(world.entry(&dav_file).is_none());
    let moved = world
        .entry("/moved to root.txt")
        .expect("the API sees the MOVE");
    assert_eq!(moved["sha256"], sha256_hex(bytes.as_bytes()));

    // WebDAV DELETE → the trash; restored through the API → WebDAV serves it again.
    assert_eq!(world.dav("DELETE", "/moved to root.txt", &[]).0, 204);
    assert!(world.entry("/moved to root.txt").is_none());
    let (status, trash) = world.server.json("/api/v1/trash", &[]);
    assert_eq!(status, 200);
    let item = trash["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["original_path"] == "/moved to root.txt")
        .unwrap_or_else(|| panic!("the DELETE went to the trash: {trash}"));
    let restore = format!("/api/v1/trash/{}/restore", item["id"]);
    let (status, restored) = world.server.json(&restore, &["-X", "POST"]);
    assert_eq!(status, 200, "POST {restore}: {restored}");
    assert_eq!(
        world.dav("GET", "/moved to root.txt", &[]),
        (200, bytes.clone().into_bytes())
    );

    // API deletes the folder → WebDAV answers 404 for it.
    let folder = world.entry(&format!("/{FOLDER}")).unwrap();
    let (status, _) = world.server.call(
        &format!("/api/v1/files/{}", folder["id"]),
        &["-X", "DELETE"],
    );
    assert_eq!(status, 204);
    assert_eq!(world.propfind(&format!("/{FOLDER}/"), "0").0, 404);

    // Every kind of credential: app password (above), account password, Bearer; none → 401.
    let root = world.dav_url("/");
    let password = format!("{}:{PASSWORD}", world.user);
    let depth: &[&str] = &["-X", "PROPFIND", "-H", "Depth: 0"];
    assert_eq!(curl(&[depth, &["-u", &password, &root]].concat()).0, 207);
    assert_eq!(
        curl(&[depth, &["-H", &world.server.auth(), &root]].concat()).0,
        207
    );
    assert_eq!(curl(&[depth, &[root.as_str()]].concat()).0, 401);
    world.finish();
}

/// `PUT /api/v1/files/by-path?path=PATH` with a file's bytes: (status, entry).
fn api_put(world: &World, path: &str, file: &std::path::Path) -> (u16, Value) {
    let route = format!("/api/v1/files/by-path?path={}", encode_path(path));
    world.server.json(&route, &["-T", file.to_str().unwrap()])
}

/// `GET /api/v1/files/{id}/content`.
fn content(world: &World, entry: &Value) -> Vec<u8> {
    let (status, body) = world
        .server
        .call(&format!("/api/v1/files/{}/content", entry["id"]), &[]);
    assert_eq!(status, 200);
    body
}
