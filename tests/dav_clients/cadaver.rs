//! cadaver (Debian `cadaver`), the command-line WebDAV client, scripted on its stdin with
//! the app password in a temp `~/.netrc`: mkcol, put, ls, get, move, propset, copy,
//! propget, lock, discover, unlock, delete, rmcol; its answers and the server's state.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use crate::support::random::sha256_hex;
use crate::world::{bounded, require, text_of, World};

const FOLDER: &str = "Cadaver 文件夹";
/// cadaver's namespace for properties set with `propset`.
const CADAVER_NS: &str = "http://webdav.org/cadaver/custom-properties/";

#[test]
fn a_cadaver_session_uses_each_verb_and_the_server_agrees() {
    require("cadaver", "cadaver");
    let world = World::new("cadaver_user");
    let home = world.scratch("home");
    let netrc = home.join(".netrc");
    let login = format!(
        "machine 127.0.0.1\nlogin {}\npassword {}\n",
        world.user, world.app_password
    );
    fs::write(&netrc, login).unwrap();
    fs::set_permissions(&netrc, fs::Permissions::from_mode(0o600)).unwrap();
    let work = world.scratch("work");
    let content = "Grüße from cadaver ✓\n".repeat(50);
    fs::write(work.join("up.txt"), &content).unwrap();

    let output = cadaver(
        &world,
        &home,
        &work,
        &[
            &format!("mkcol \"{FOLDER}\""),
            &format!("cd \"{FOLDER}\""),
            "put up.txt \"Grüße 文件.txt\"",
            "ls",
            "get \"Grüße 文件.txt\" back.txt",
            "move \"Grüße 文件.txt\" moved.txt",
            "propset moved.txt color blue",
            "copy moved.txt copied.txt",
            "propget copied.txt color",
            "lock copied.txt",
            "discover copied.txt",
            "unlock copied.txt",
            "delete copied.txt",
            // Left held when cadaver quits.
            "lock moved.txt",
            "ls",
        ],
    );
    assert_in_order(
        &output,
        &[
            &format!("Creating `{FOLDER}': succeeded."),
            "Uploading up.txt to `",
            "succeeded.",
            "Grüße 文件.txt",
            &content.len().to_string(),
            "Downloading `",
            "back.txt: [",
            "succeeded.",
            "Moving `",
            "moved.txt':  succeeded.",
            "Setting property on `moved.txt': succeeded.",
            "Copying `",
            "copied.txt':  succeeded.",
            "Value of color is: blue",
            "Locking `copied.txt': succeeded.",
            "Scope: exclusive  Type: write",
            "Unlocking `copied.txt': succeeded.",
            "Deleting `copied.txt': succeeded.",
            "Locking `moved.txt': succeeded.",
            "moved.txt",
        ],
    );

    // The server's state: one file (with the property), the copy in the trash, a held lock.
    assert_eq!(fs::read_to_string(work.join("back.txt")).unwrap(), content);
    let moved = format!("/{FOLDER}/moved.txt");
    let files = world.files_below(&format!("/{FOLDER}"));
    let sum = (content.len() as u64, sha256_hex(content.as_bytes()));
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        vec![("moved.txt".to_owned(), sum)]
    );
    assert!(world
        .trashed_paths()
        .contains(&format!("/{FOLDER}/copied.txt")));
    let ask =
        format!("<propfind xmlns=\"DAV:\"><prop><color xmlns=\"{CADAVER_NS}\"/></prop></propfind>");
    let (status, body) = world.dav("PROPFIND", &moved, &["-H", "Depth: 0", "-d", &ask]);
    let body = String::from_utf8_lossy(&body);
    assert!(
        status == 207 && body.contains(">blue</"),
        "PROPFIND color: {status} {body}"
    );

    let (status, body) = world.propfind(&moved, "0");
    let token = lock_token(&body).unwrap_or_else(|| panic!("cadaver's lock is held: {body}"));
    let (status_put, _) = world.dav("PUT", &moved, &["--data-binary", "by curl"]);
    assert_eq!(
        (status, status_put),
        (207, 423),
        "a PUT without the lock token is refused"
    );
    let header = format!("Lock-Token: <{token}>");
    let (status, _) = world.dav("UNLOCK", &moved, &["-H", &header]);
    assert_eq!(status, 204, "UNLOCK with cadaver's token");
    let (status, _) = world.dav("PUT", &moved, &["--data-binary", "by curl"]);
    assert_eq!(status, 204, "a PUT after UNLOCK replaces the file");

    // A second session sees it all: the property, curl's bytes; then removes the folder.
    let output = cadaver(
        &world,
        &home,
        &work,
        &[
            &format!("cd \"{FOLDER}\""),
            "propget moved.txt color",
            "get moved.txt again.txt",
            "cd ..",
            &format!("rmcol \"{FOLDER}\""),
        ],
    );
    assert_in_order(
        &output,
        &[
            "Value of color is: blue",
            "again.txt: [",
            "succeeded.",
            &format!("Deleting collection `{FOLDER}': succeeded."),
        ],
    );
    assert_eq!(
        fs::read_to_string(work.join("again.txt")).unwrap(),
        "by curl"
    );
    assert!(world.entry(&format!("/{FOLDER}")).is_none());
    assert!(world.trashed_paths().contains(&format!("/{FOLDER}")));
    let (status, _) = world.dav("PROPFIND", &format!("/{FOLDER}/"), &["-H", "Depth: 0"]);
    assert_eq!(status, 404, "PROPFIND of the removed folder");
    world.finish();
}

/// Runs cadaver on `/dav/` with `commands` (then `quit`) on its stdin; what it printed.
/// It fails the test on any `failed` answer.
fn cadaver(world: &World, home: &Path, work: &Path, commands: &[&str]) -> String {
    let mut child = bounded(120, "cadaver")
        .arg(world.dav_url("/"))
        .env("HOME", home)
        .current_dir(work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = commands.join("\n") + "\nquit\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = text_of(&out);
    assert!(
        out.status.success(),
        "cadaver exited {}:\n{text}",
        out.status
    );
    assert!(
        !text.contains("failed") && !text.contains("Could not"),
        "cadaver:\n{text}"
    );
    text
}

/// Each of `parts` occurs in `text`, in this order.
#[track_caller]
fn assert_in_order(text: &str, parts: &[&str]) {
    let mut rest = text;
    for part in parts {
        let at = rest
            .find(part)
            .unwrap_or_else(|| panic!("`{part}` is missing (in order) from:\n{text}"));
        rest = &rest[at + part.len()..];
    }
}

/// The first `opaquelocktoken:…` in a PROPFIND's lockdiscovery.
fn lock_token(multistatus: &str) -> Option<String> {
    let start = multistatus.find("opaquelocktoken:")?;
    let end = multistatus[start..].find('<')?;
    Some(multistatus[start..start + end].to_owned())
}
