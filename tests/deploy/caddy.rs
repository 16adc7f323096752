//! docs/deploy/Caddyfile with the real Caddy (Debian's package): `caddy validate` and
//! `caddy fmt` on the file as it is, then Caddy in front of a real Hoard. The example gets
//! its certificate from Let's Encrypt, which needs a public name and ports 80 and 443 from
//! the internet; the running copy differs only in what this needs: global options (no
//! admin endpoint, the test's ports on 127.0.0.1) and `tls` with the test's certificate.

use std::path::Path;
use std::process::Command;

use crate::proxy::{Running, Stage, Tls};
use crate::{deploy_file, run, substitute, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy/Caddyfile");

/// The example on loopback ports (HTTPS `https`, HTTP `http`) with the test's certificate,
/// proxying to `upstream`.
fn variant(tls: &Tls, https: u16, http: u16, upstream: u16) -> String {
    let globals = format!(
        "{{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\thttp_port {http}\n\thttps_port {https}\n}}\n\n"
    );
    let site = substitute(
        &deploy_file("Caddyfile"),
        &[
            (
                "drive.example.com {",
                &format!("drive.example.com {{\n\ttls {} {}", tls.cert, tls.key),
            ),
            (
                "reverse_proxy 127.0.0.1:8080",
                &format!("reverse_proxy 127.0.0.1:{upstream}"),
            ),
        ],
    );
    globals + &site
}

/// `caddy run` on CONFIG, its state (autosave, storage) kept in DIR.
fn start(dir: &Path, config: &Path) -> Running {
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(config)
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("XDG_DATA_HOME", dir)
        .stderr(std::fs::File::create(dir.join("caddy.log")).unwrap())
        .spawn()
        .expect("caddy is installed (.ci/run installs it)");
    Running(child)
}

#[test]
fn caddy_validates_the_example_as_it_is_and_it_is_formatted() {
    let out = run(
        "caddy",
        &["validate", "--adapter", "caddyfile", "--config", EXAMPLE],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "Valid configuration");
    assert!(!stderr.contains("\"level\":\"warn\""), "{stderr}");
    let formatted = run("caddy", &["fmt", EXAMPLE]);
    assert!(formatted.status.success());
    assert_eq!(
        String::from_utf8_lossy(&formatted.stdout),
        deploy_file("Caddyfile")
    );
}

#[test]
fn caddy_serves_hoard_over_tls_streaming_uploads_with_ranges_webdav_and_client_addresses() {
    let stage = Stage::new();
    let caddyfile = variant(&stage.tls, stage.https, stage.http, stage.relay.port);
    let config = write(stage.dir.path(), "Caddyfile", &caddyfile);
    let _caddy = start(stage.dir.path(), &config);
    stage.prove(308);
}
