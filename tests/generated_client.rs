//! A client generated from the committed `docs/openapi.json` by a stock generator,
//! openapi-python-client (PyPI), drives the real `hoard` binary through the README's flow
//! (tests/generated_client/flow.py: register, login, refresh, upload, list, download,
//! logout, the old tokens refused). The generator may warn only about the operations it
//! cannot express (KNOWN_WARNINGS): any other warning is a dropped endpoint or a response
//! read as nothing, and fails the test.
//!
//! Prerequisites (`.ci/run` installs them): python3 with openapi-python-client at the
//! version pinned here and python-dateutil (installed here with pip when missing).

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use support::server::Server;

/// Keep in step with `.ci/run`.
const GENERATOR: &str = "openapi-python-client==0.29.1";

/// (warning, a part of its detail line): what the generator cannot express, and why.
const KNOWN_WARNINGS: [(&str, &str); 3] = [
    // The avatar is always `image/png`; the generator reads only JSON, text and
    // octet-stream bodies (the endpoint is generated; its body is in `.content`).
    (
        "WARNING parsing GET /users/{id}/avatar within profile.",
        "(Unsupported content_type image/png)",
    ),
    // tus 1.0.0 chunks are `application/offset+octet-stream`: use a tus client for these.
    (
        "WARNING parsing POST /uploads within uploads. Endpoint will not be generated.",
        "Unsupported content type application/offset+octet-stream",
    ),
    (
        "WARNING parsing PATCH /uploads/{id} within uploads. Endpoint will not be generated.",
        "Unsupported content type application/offset+octet-stream",
    ),
];

/// The generator's lines that are neither warnings nor part of one.
const BANNERS: [&str; 3] = [
    "Generating ",
    "Warning(s) encountered while generating.",
    "If you believe this was a mistake",
];

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// `openapi-python-client generate` from docs/openapi.json into `DIR/hoard_client`;
/// returns everything it printed.
fn generate(dir: &Path) -> String {
    let output = Command::new("python3")
        .args(["-m", "openapi_python_client", "generate", "--meta", "none"])
        .arg("--path")
        .arg(repo_file("docs/openapi.json"))
        .arg("--output-path")
        .arg(dir.join("hoard_client"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(output.status.success(), "the generator failed:\n{printed}");
    printed
}

/// The generator's output without banners, JSON dumps of the schema at fault and the
/// known warnings (each with its detail line); also how many known warnings were seen.
fn unexpected_lines(printed: &str) -> (Vec<&str>, usize) {
    let mut lines = Vec::new();
    let mut in_dump = false;
    for line in printed.lines().filter(|l| !l.trim().is_empty()) {
        match line {
            "{" if !in_dump => in_dump = true,
            "}" if in_dump => in_dump = false,
            _ if in_dump || BANNERS.iter().any(|b| line.starts_with(b)) => {}
            _ => lines.push(line),
        }
    }
    let (mut rest, mut known, mut i) = (Vec::new(), 0, 0);
    while i < lines.len() {
        let next = lines.get(i + 1).copied().unwrap_or_default();
        if is_known(lines[i], next) {
            known += 1;
            i += 2;
        } else {
            rest.push(lines[i]);
            i += 1;
        }
    }
    (rest, known)
}

fn is_known(line: &str, next: &str) -> bool {
    KNOWN_WARNINGS
        .iter()
        .any(|(warning, detail)| line == *warning && next.contains(detail))
}

/// flow.py against the server with the generated package importable; its summary line.
fn run_flow(server: &Server, dir: &Path) -> Value {
    let output = Command::new("python3")
        .arg(repo_file("tests/generated_client/flow.py"))
        .arg(&server.base)
        .env("PYTHONPATH", dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(
        output.status.success(),
        "the flow through the generated client failed:\n{printed}\nserver log:\n{}",
        server.log_text()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("no summary ({e}):\n{printed}"))
}

#[test]
fn a_generated_python_client_runs_the_readme_flow_against_the_binary() {
    support::python::ensure_pinned("openapi_python_client", GENERATOR);
    support::python::ensure_module("dateutil", "python-dateutil");
    let dir = tempfile::tempdir().unwrap();
    let printed = generate(dir.path());
    let (unexpected, known) = unexpected_lines(&printed);
    assert!(
        unexpected.is_empty() && known == KNOWN_WARNINGS.len(),
        "the generator warned about more (or less) than KNOWN_WARNINGS:\n{printed}"
    );

    let server = Server::start(&dir.path().join("data"));
    let summary = run_flow(&server, dir.path());
    let steps = [
        "register",
        "wrong_password",
        "login",
        "refresh",
        "upload",
        "list",
        "download",
        "logout",
        "old_tokens_refused",
    ];
    assert_eq!(summary, json!({"steps": steps, "user_id": 1}));
}
