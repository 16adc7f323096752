//! SPEC §15: the release binary is static and at most 25 MiB, and it runs alone in an
//! empty root: no shared libraries, no /etc, /dev or /proc, no NSS.

use std::fs;
use std::process::{Child, Command, Stdio};

use crate::run;
use crate::support::server::{curl, free_port};

const HOARD: &str = env!("CARGO_BIN_EXE_hoard");
const PASSWORD: &str = "Static-binary-42!";

#[test]
fn the_binary_links_no_shared_library_and_fits_in_25_mib() {
    let ldd = run("ldd", &[HOARD]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    // A static PIE (ASLR kept) is "statically linked"; a non-PIE static binary is "not a
    // dynamic executable". Either way nothing is loaded at run time.
    assert!(
        said.contains("statically linked") || said.contains("not a dynamic executable"),
        "ldd {HOARD}: {said}"
    );
    let headers = run("readelf", &["--program-headers", "--dynamic", HOARD]);
    let headers = String::from_utf8_lossy(&headers.stdout);
    assert!(!headers.contains("INTERP"), "no program interpreter");
    assert!(!headers.contains("(NEEDED)"), "no needed library");
    let size = fs::metadata(HOARD).unwrap().len();
    assert!(size <= 25 * 1024 * 1024, "{size} bytes");
}

/// `chroot ROOT /hoard --data-dir /data --bind 127.0.0.1:PORT serve`.
fn serve_in(root: &std::path::Path, port: u16) -> Child {
    Command::new("chroot")
        .arg(root)
        .args(["/hoard", "--data-dir", "/data", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chroot runs (as root, as CI is)")
}

fn wait_healthy(base: &str) -> Vec<u8> {
    for _ in 0..200 {
        let (status, body) = curl(&[&format!("{base}/health")]);
        if status == 200 {
            return body;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no healthy answer from the chrooted hoard");
}

#[test]
fn it_serves_from_an_empty_root() {
    let root = tempfile::tempdir().unwrap();
    fs::copy(HOARD, root.path().join("hoard")).unwrap();
    let port = free_port();
    let mut child = serve_in(root.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let health: serde_json::Value = serde_json::from_slice(&wait_healthy(&base)).unwrap();
    assert_eq!(
        (&health["status"], &health["database"]),
        (&"ok".into(), &"ok".into())
    );

    let body = format!(r#"{{"username":"root","email":"r@example.com","password":"{PASSWORD}"}}"#);
    let (status, reply) = curl(&[
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        &format!("{base}/api/v1/auth/register"),
    ]);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&reply));
    let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap();
    let bearer = format!(
        "Authorization: Bearer {}",
        reply["tokens"]["access_token"].as_str().unwrap()
    );

    let file = root.path().join("upload.bin");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    fs::write(&file, &bytes).unwrap();
    let put = format!("{base}/api/v1/files/by-path?path=/chroot/upload.bin");
    let (status, entry) = curl(&["-H", &bearer, "-T", file.to_str().unwrap(), &put]);
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&entry));
    let entry: serde_json::Value = serde_json::from_slice(&entry).unwrap();
    let download = format!("{base}/api/v1/files/{}/download", entry["id"]);
    let (status, got) = curl(&["-H", &bearer, &download]);
    assert_eq!((status, got == bytes), (200, true));

    child.kill().unwrap();
    child.wait().unwrap();
    // Nothing but the binary, its data and the test's own file: it needed nothing else.
    let mut names: Vec<String> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["data", "hoard", "upload.bin"]);
}
