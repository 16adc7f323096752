//! What both reverse proxies must do, proved the same way in front of a real Hoard run with
//! docs/deploy/hoard.toml: TLS with the test's own certificate, the client's address through
//! `server.trusted_proxies`, uploads passed on while they arrive, Range, the WebDAV methods
//! and headers, and `Secure` cookies; the relay (relay.rs) between the proxy and Hoard
//! shows what reached Hoard's side, and when.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::relay::Relay;
use crate::support::random::{write_random, MIB};
use crate::support::server::{curl, free_port, Server};
use crate::{deploy_file, run, write};

/// The examples' host name; curl resolves it to 127.0.0.1.
pub const HOST: &str = "drive.example.com";
/// Where the test's client connects from: not the proxy's address (127.0.0.1), so Hoard
/// can learn it only from X-Forwarded-For.
pub const CLIENT_IP: &str = "127.0.0.2";
const PASSWORD: &str = "Deploy-behind-a-proxy-7!";
const DAV_METHODS: [&str; 7] = [
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
];

/// What a proxy under test fronts: a fresh Hoard run with docs/deploy/hoard.toml as it is
/// (the flags set its port and data dir) behind a relay, the certificate, and two free
/// ports for the proxy (HTTPS and HTTP).
pub struct Stage {
    pub dir: TempDir,
    hoard: Server,
    pub relay: Relay,
    pub tls: Tls,
    pub https: u16,
    pub http: u16,
}

impl Stage {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = write(dir.path(), "hoard.toml", &deploy_file("hoard.toml"));
        let hoard = Server::start_with_config(&dir.path().join("data"), &config);
        let (relay, tls) = (Relay::start(&hoard), Tls::new(dir.path()));
        let (https, http) = (free_port(), free_port());
        Self {
            dir,
            hoard,
            relay,
            tls,
            https,
            http,
        }
    }

    /// Everything a proxy must do, once the caller has started it: [`prove`], and HTTP
    /// redirected to HTTPS with `redirect`.
    pub fn prove(&self, redirect: u16) {
        let mut front = Front::new(self.https, &self.tls);
        prove(&mut front, &self.relay, &self.hoard, self.dir.path());
        redirects_to_https(self.http, redirect);
    }
}

/// A proxy's process, killed by PID when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate for HOST.
pub struct Tls {
    pub cert: String,
    pub key: String,
}

impl Tls {
    pub fn new(dir: &Path) -> Self {
        let path = |name: &str| dir.join(name).display().to_string();
        let (cert, key) = (path("cert.pem"), path("key.pem"));
        let subject = format!("/CN={HOST}");
        let names = format!("subjectAltName=DNS:{HOST}");
        let out = run(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &subject,
                "-addext",
                &names,
                "-keyout",
                &key,
                "-out",
                &cert,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { cert, key }
    }
}

/// The proxy as a browser sees it: `https://HOST:PORT`, trusting the test's certificate,
/// connecting from CLIENT_IP.
pub struct Front {
    base: String,
    args: Vec<String>,
    token: String,
}

impl Front {
    /// Waits until the proxy (and Hoard behind it) answers `/health`.
    pub fn new(port: u16, tls: &Tls) -> Self {
        let args = [
            "--resolve",
            &format!("{HOST}:{port}:127.0.0.1"),
            "--cacert",
            &tls.cert,
        ];
        let args = [&args[..], &["--interface", CLIENT_IP]].concat();
        let front = Self {
            base: format!("https://{HOST}:{port}"),
            args: args.iter().map(|a| a.to_string()).collect(),
            token: String::new(),
        };
        wait_for("the proxy answers /health", || {
            front.call("/health", &[]).0 == 200
        });
        front
    }

    /// curl's arguments for a request to `path` with `extra` ones (and the token).
    fn curl_args(&self, path: &str, extra: &[&str]) -> Vec<String> {
        let mut args = self.args.clone();
        if !self.token.is_empty() {
            args.extend(["-H".into(), format!("Authorization: Bearer {}", self.token)]);
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        args.push(format!("{}{path}", self.base));
        args
    }

    /// (status, head lower-cased, body).
    fn call(&self, path: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
        let args = self.curl_args(path, &[extra, &["-i"]].concat());
        let (status, out) = curl(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let split = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |i| i + 4);
        let head = String::from_utf8_lossy(&out[..split]).to_lowercase();
        (status, head, out[split..].to_vec())
    }

    fn json(&self, path: &str, extra: &[&str]) -> (u16, Value) {
        let (status, _, body) = self.call(path, extra);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

/// Polls `done` for up to 30 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Everything a proxy in front of `hoard` (through `relay`) must do; `work` is scratch.
fn prove(front: &mut Front, relay: &Relay, hoard: &Server, work: &Path) {
    client_address_comes_through(front);
    let (id, file) = uploads_pass_on_while_they_arrive(front, relay, work);
    ranges_pass(front, id, &std::fs::read(file).unwrap());
    webdav_methods_and_headers_pass(front, relay, hoard);
    cookies_are_secure(front);
}

/// Registers through the proxy with a forged X-Forwarded-For: Hoard records CLIENT_IP.
fn client_address_comes_through(front: &mut Front) {
    let body = json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD});
    let (status, reply) = front.json(
        "/api/v1/auth/register",
        &[
            "-H",
            "Content-Type: application/json",
            "-H",
            "X-Forwarded-For: 203.0.113.9",
        ]
        .into_iter()
        .chain(["-d", &body.to_string()])
        .collect::<Vec<_>>(),
    );
    assert_eq!(status, 201, "{reply}");
    front.token = reply["tokens"]["access_token"].as_str().unwrap().to_owned();
    let (status, sessions) = front.json("/api/v1/auth/sessions", &[]);
    assert_eq!(status, 200, "{sessions}");
    assert_eq!(sessions["items"][0]["ip"], CLIENT_IP, "{sessions}");
}

/// A 4 MiB PUT whose second half is only sent once the first has reached Hoard's side of
/// the proxy (a proxy that buffers bodies would wait for the end: timeout). Returns the
/// file's id and a copy of its bytes.
fn uploads_pass_on_while_they_arrive(front: &Front, relay: &Relay, work: &Path) -> (i64, PathBuf) {
    let file = work.join("upload.bin");
    let sha256 = write_random(&file, 4 * MIB, 14);
    let bytes = std::fs::read(&file).unwrap();
    let half = bytes.len() / 2;
    let args = front.curl_args(
        "/api/v1/files/by-path?path=/upload.bin",
        &["-sS", "-T", "-"],
    );
    let mut curl = Command::new("curl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = curl.stdin.take().unwrap();
    let before = relay.sent_len();
    stdin.write_all(&bytes[..half]).unwrap();
    wait_for("the first half reaches Hoard before the body ends", || {
        relay.sent_len() >= before + half
    });
    stdin.write_all(&bytes[half..]).unwrap();
    drop(stdin);
    let reply: Value = serde_json::from_slice(&curl.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(reply["size"], 4 * MIB, "{reply}");
    assert_eq!(reply["sha256"], sha256, "{reply}");
    (reply["id"].as_i64().unwrap(), file)
}

fn ranges_pass(front: &Front, id: i64, bytes: &[u8]) {
    let path = format!("/api/v1/files/{id}/download");
    let (status, head, body) = front.call(&path, &["-H", "Range: bytes=1000-1999"]);
    assert_eq!(status, 206, "{head}");
    let range = format!("content-range: bytes 1000-1999/{}\r\n", bytes.len());
    assert!(head.contains(&range), "{head}");
    assert_eq!(body, bytes[1000..2000]);
}

/// Each WebDAV method with every WebDAV header reaches Hoard as sent, with the client's
/// address, scheme and host, and the client gets Hoard's own answer.
fn webdav_methods_and_headers_pass(front: &Front, relay: &Relay, hoard: &Server) {
    let headers = [
        format!("Destination: {}/dav/b%20c.txt", front.base),
        "Overwrite: F".into(),
        "Depth: 1".into(),
        "If: (<urn:uuid:2f81a14>)".into(),
        "Lock-Token: <urn:uuid:2f81a14>".into(),
        "Timeout: Second-600".into(),
        "X-Expected-Entity-Length: 5".into(),
        "X-OC-Mtime: 1700000000".into(),
    ];
    let mut extra: Vec<&str> = headers.iter().flat_map(|h| ["-H", h.as_str()]).collect();
    extra.extend(["-d", "<propfind xmlns=\"DAV:\"><allprop/></propfind>"]);
    let forwarded = [
        format!("host: {}\r\n", front.base.trim_start_matches("https://")),
        format!("x-forwarded-for: {CLIENT_IP}\r\n"),
        "x-forwarded-proto: https\r\n".into(),
    ];
    for method in DAV_METHODS {
        let sent = [&["-X", method][..], &extra].concat();
        let (status, _, body) = front.call("/dav/a.txt", &sent);
        let head = relay.last_head(&format!("{method} /dav/a.txt HTTP/1.1\r\n"));
        for line in headers
            .iter()
            .map(|h| format!("{h}\r\n"))
            .chain(forwarded.clone())
        {
            assert!(
                head.contains(&line.to_lowercase()),
                "{method}: {line:?} in {head}"
            );
        }
        // The same request as the proxy forwards it: with the public Host, which the
        // Destination names (Hoard answers 502 for a Destination on another host).
        let auth = format!("Authorization: Bearer {}", front.token);
        let host = format!("Host: {}", front.base.trim_start_matches("https://"));
        let direct = hoard.call(
            "/dav/a.txt",
            &[&sent[..], &["-H", &auth, "-H", &host]].concat(),
        );
        assert_eq!(
            (status, body),
            direct,
            "{method}: the client gets Hoard's answer"
        );
    }
}

fn cookies_are_secure(front: &Front) {
    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    let json_type = "Content-Type: application/json";
    let (status, head, _) = front.call("/api/v1/auth/web/login", &["-H", json_type, "-d", &body]);
    assert_eq!(status, 200, "{head}");
    let cookies: Vec<&str> = head
        .lines()
        .filter(|l| l.starts_with("set-cookie:"))
        .collect();
    assert!(!cookies.is_empty(), "{head}");
    assert!(
        cookies.iter().all(|c| c.ends_with("; secure")),
        "{cookies:?}"
    );
}

/// Plain HTTP on `port` is sent to the same URL over HTTPS with `status`.
fn redirects_to_https(port: u16, status: u16) {
    let url = format!("http://127.0.0.1:{port}/files?x=1");
    let (got, out) = curl(&["-H", &format!("Host: {HOST}"), "-i", &url]);
    let head = String::from_utf8_lossy(&out).to_lowercase();
    assert_eq!(got, status, "{head}");
    let location = format!("\r\nlocation: https://{HOST}/files?x=1\r\n");
    assert!(head.contains(&location), "{head}");
}
