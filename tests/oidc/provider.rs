#![allow(dead_code)] // tests/browser.rs uses only part of it.

//! The test's identity provider: `tests/oidc/provider.mjs` (oauth2-mock-server) as a real
//! process on free loopback ports, stopped by PID when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

use crate::support::node::{ensure_node_modules, ui_dir};
use crate::support::server::curl;

pub struct Provider {
    child: Child,
    /// Kept open: the script also exits when its stdin closes.
    _stdin: Option<ChildStdin>,
    /// `http://127.0.0.1:PORT`, the `iss` of its tokens.
    pub issuer: String,
    /// The control port's base URL (`POST /next`, `POST /rotate`).
    pub control: String,
}

impl Provider {
    /// A provider whose issuer is `http://127.0.0.1:PORT`.
    pub fn start() -> Self {
        Self::start_as("127.0.0.1")
    }

    /// A provider whose issuer is `http://HOST:PORT` (it listens on 127.0.0.1).
    pub fn start_as(host: &str) -> Self {
        ensure_node_modules(20, "OIDC tests");
        let script = ui_dir().join("..").join("oidc").join("provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_ISSUER_HOST", host)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs tests/oidc/provider.mjs");
        let stdin = child.stdin.take();
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the provider did not start ({e}): {line:?}"));
        Self {
            child,
            _stdin: stdin,
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            control: ready["control"].as_str().unwrap().to_owned(),
        }
    }

    /// What the next ID token holds (`claims`) or how it is spoiled (`expired`, `tamper`).
    pub fn next(&self, spec: Value) {
        let url = format!("{}/next", self.control);
        let (status, body) = curl(&["-X", "POST", "-d", &spec.to_string(), &url]);
        assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    }

    /// The provider signs with a new key from now on; its JWKS no longer has the old one.
    pub fn rotate_key(&self) {
        let url = format!("{}/rotate", self.control);
        let (status, body) = curl(&["-X", "POST", &url]);
        assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
