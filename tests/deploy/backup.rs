//! The backup and restore steps of docs/deploy.md, run verbatim as root against a Hoard
//! that runs as an unprivileged user (`AS_HOARD` becomes a `setpriv` to HOARD_UID), with
//! `hoard` on the PATH.

use std::path::Path;

use serde_json::Value;

use crate::support::docs::run_block;
use crate::support::random::{sha256_hex, write_random, MIB};
use crate::support::server::Server;
use crate::{as_hoard, deploy_file, substitute, write, HOARD_UID};

const PASSWORD: &str = "Backed-up-and-back-3!";
const TUS: &str = "Tus-Resumable: 1.0.0";

/// The doc's block NAME with its variables pointing into DIR.
fn run_doc(name: &str, dir: &Path, config: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_hoard")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let (data, backup) = (dir.join("data"), dir.join("backup"));
    let as_hoard = as_hoard(&[]).join(" ");
    let env = [
        ("CONFIG", config.to_str().unwrap()),
        ("DATA", data.to_str().unwrap()),
        ("BACKUP", backup.to_str().unwrap()),
        ("AS_HOARD", as_hoard.as_str()),
        ("PATH", path.as_str()),
    ];
    run_block("docs/deploy.md", name, None, &env)
}

/// Hoard as the unprivileged user on DIR/data, with the doc's configuration.
fn start(dir: &Path, config: &Path) -> Server {
    let wrapper = as_hoard(&[]);
    let wrapper: Vec<&str> = wrapper.iter().map(String::as_str).collect();
    Server::start_under(&wrapper, &dir.join("data"), Some(config))
}

/// A tus upload of 2000 bytes with its first 1000 sent; returns its id.
fn half_a_resumable_upload(server: &Server) -> u64 {
    let name = "Upload-Metadata: filename cmVzdW1lZC5iaW4="; // resumed.bin
    let create = [
        "-X",
        "POST",
        "-H",
        TUS,
        "-H",
        "Upload-Length: 2000",
        "-H",
        name,
    ];
    assert_eq!(server.call("/api/v1/uploads", &create).0, 201);
    let (_, list) = server.json("/api/v1/uploads", &[]);
    let id = list["items"][0]["id"].as_u64().unwrap();
    assert_eq!(patch(server, id, 0), 204);
    id
}

/// PATCHes 1000 bytes at `offset`; returns the status.
fn patch(server: &Server, id: u64, offset: u64) -> u16 {
    let offset = format!("Upload-Offset: {offset}");
    let kind = "Content-Type: application/offset+octet-stream";
    let body = "x".repeat(1000);
    let args = [
        "-X",
        "PATCH",
        "-H",
        TUS,
        "-H",
        &offset,
        "-H",
        kind,
        "--data-binary",
        &body,
    ];
    server.call(&format!("/api/v1/uploads/{id}"), &args).0
}

fn upload(server: &Server, dir: &Path, name: &str, seed: u64) -> (Value, String) {
    let file = dir.join(name);
    let sha256 = write_random(&file, 2 * MIB, seed);
    let path = format!("/api/v1/files/by-path?path=/{name}");
    let (status, entry) = server.json(&path, &["-T", file.to_str().unwrap()]);
    assert_eq!(status, 201, "{entry}");
    (entry, sha256)
}

#[test]
fn the_documented_backup_and_restore_bring_the_drive_back_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    for owned in [dir.path().to_owned(), dir.path().join("backup")] {
        std::fs::create_dir_all(&owned).unwrap();
        std::os::unix::fs::chown(&owned, Some(HOARD_UID), Some(HOARD_UID)).unwrap();
    }
    let data = dir.path().join("data");
    let toml = substitute(
        &deploy_file("hoard.toml"),
        &[("/var/lib/hoard", data.to_str().unwrap())],
    );
    let config = write(dir.path(), "hoard.toml", &toml);
    let mut server = start(dir.path(), &config);
    server.sign_up("alice", PASSWORD);
    let (kept, sha256) = upload(&server, dir.path(), "kept.bin", 21);
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui/fixtures/photo1.png");
    let (_, posted) = server.json("/api/v1/files", &["-F", &format!("file=@{photo}")]);
    let thumbnail = format!(
        "/api/v1/files/{}/thumbnail?size=64",
        posted["items"][0]["id"]
    );
    assert_eq!(server.call(&thumbnail, &[]).0, 200);
    let resumable = half_a_resumable_upload(&server);

    run_doc("deploy-backup", dir.path(), &config);
    let (later, _) = upload(&server, dir.path(), "later.bin", 22);
    server.kill9();
    std::fs::rename(&data, dir.path().join("lost")).unwrap();
    let checked = run_doc("deploy-restore", dir.path(), &config);
    assert!(checked.ends_with("consistent\n"), "{checked}");
    assert_eq!(
        std::fs::read_dir(data.join("thumbs")).unwrap().count(),
        0,
        "thumbs not copied"
    );

    let token = std::mem::take(&mut server.token);
    let mut server = start(dir.path(), &config);
    server.token = token;
    let (status, bytes) = server.call(&format!("/api/v1/files/{}/download", kept["id"]), &[]);
    assert_eq!(status, 200, "the old session works");
    assert_eq!(sha256_hex(&bytes), sha256);
    assert_eq!(
        server
            .call(&format!("/api/v1/files/{}", later["id"]), &[])
            .0,
        404
    );
    assert_eq!(server.call(&thumbnail, &[]).0, 200);
    assert_eq!(
        patch(&server, resumable, 1000),
        204,
        "the resumable upload goes on"
    );
}
