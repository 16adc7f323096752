//! docs/deploy/nginx.conf with the real nginx: `nginx -t`, then nginx in front of a real
//! Hoard. The site is included, as Debian's nginx.conf includes sites-enabled/, in a
//! minimal main configuration that keeps pid, logs and temp files in a temp dir and runs
//! one process in the foreground (stopped by PID); its ports and certificate are the
//! test's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::proxy::{Running, Stage, Tls};
use crate::support::server::free_port;
use crate::{deploy_file, run, substitute, write};

/// The test's main configuration around the site, every path in DIR.
fn main_conf(dir: &Path) -> String {
    let d = dir.display();
    let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|kind| format!("    {kind}_temp_path {d}/{kind};\n"))
        .collect();
    format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n    access_log {d}/access.log;\n{temp}    include {d}/hoard.conf;\n}}\n"
    )
}

/// Writes docs/deploy/nginx.conf, on loopback ports (HTTPS `https`, HTTP `http`) with the
/// test's certificate and proxying to `upstream`, and the main configuration; returns
/// the main configuration's path.
fn configure(dir: &Path, tls: &Tls, https: u16, http: u16, upstream: u16) -> PathBuf {
    let site = substitute(
        &deploy_file("nginx.conf"),
        &[
            ("listen 80;", &format!("listen 127.0.0.1:{http};")),
            ("    listen [::]:80;\n", ""),
            ("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl")),
            ("    listen [::]:443 ssl http2;\n", ""),
            (
                "/etc/letsencrypt/live/drive.example.com/fullchain.pem",
                &tls.cert,
            ),
            (
                "/etc/letsencrypt/live/drive.example.com/privkey.pem",
                &tls.key,
            ),
            (
                "http://127.0.0.1:8080",
                &format!("http://127.0.0.1:{upstream}"),
            ),
        ],
    );
    write(dir, "hoard.conf", &site);
    write(dir, "nginx.conf", &main_conf(dir))
}

/// `nginx -e DIR/error.log -c CONF` with `extra` arguments before them.
fn nginx_args(conf: &Path, extra: &[&str]) -> Vec<String> {
    let error_log = conf.with_file_name("error.log").display().to_string();
    let conf = conf.display().to_string();
    let args = [extra, &["-e", &error_log, "-c", &conf]].concat();
    args.iter().map(|a| a.to_string()).collect()
}

fn nginx_test(conf: &Path) -> Output {
    let args = nginx_args(conf, &["-t"]);
    run(
        "nginx",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    )
}

#[test]
fn nginx_t_accepts_the_example_site_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let tls = Tls::new(dir.path());
    let conf = configure(dir.path(), &tls, free_port(), free_port(), free_port());
    let out = nginx_test(&conf);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("syntax is ok"), "{stderr}");
    assert!(stderr.contains("test is successful"), "{stderr}");
    assert!(!stderr.contains("[warn]"), "{stderr}");
}

#[test]
fn nginx_serves_hoard_over_tls_streaming_uploads_with_ranges_webdav_and_client_addresses() {
    let stage = Stage::new();
    let (dir, tls) = (stage.dir.path(), &stage.tls);
    let conf = configure(dir, tls, stage.https, stage.http, stage.relay.port);
    let _nginx = Running(
        Command::new("nginx")
            .args(nginx_args(&conf, &[]))
            .spawn()
            .unwrap(),
    );
    stage.prove(301);
}
