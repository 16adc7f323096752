//! What the hostile-input suite (`hostile_*.rs`) shares: a snapshot of everything a request
//! could change on disk or in the database, the assertion that runs one hostile request
//! between two snapshots, and raw HTTP/1.1 exchanges over a `TcpStream` for the cases an
//! HTTP client library would refuse to send.

#![allow(dead_code)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use poem::http::Method;
use rusqlite::types::ValueRef;

use crate::drive_helpers::files_under;
use crate::helpers::*;

/// Columns that a legitimate, successful read updates, left out of the snapshot so that a
/// hostile request refused *after* authenticating a real credential is not reported as a
/// change: `api_tokens.last_used_at` is written when a personal token is used (at most
/// once a minute), `sessions.last_used_at` when a refresh token rotates. Neither is
/// something an attacker could use to change what a user owns or can do.
const VOLATILE: [(&str, &str); 2] = [("api_tokens", "last_used_at"), ("sessions", "last_used_at")];

/// Every row of every table of `hoard.db` (as text, in a stable order) and every file with
/// its size under `blobs/` and `tmp/`. `thumbs/` is left out: it is a cache that reads fill.
#[derive(Debug, PartialEq, Eq)]
pub struct World {
    rows: Vec<String>,
    files: Vec<String>,
}

impl World {
    pub fn of(data: &Path) -> Self {
        let conn = rusqlite::Connection::open(data.join("hoard.db")).expect("open db");
        let mut rows = Vec::new();
        for table in tables(&conn) {
            rows.extend(table_rows(&conn, &table));
        }
        rows.sort();
        let mut files = Vec::new();
        for dir in ["blobs", "tmp"] {
            for path in files_under(&data.join(dir)) {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                let relative = path.strip_prefix(data).unwrap_or(&path).display();
                files.push(format!("{relative} {size}"));
            }
        }
        Self { rows, files }
    }
}

fn tables(conn: &rusqlite::Connection) -> Vec<String> {
    let sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
    let mut statement = conn.prepare(sql).expect("tables");
    let names = statement.query_map([], |r| r.get(0)).expect("query");
    names.map(|n| n.expect("name")).collect()
}

/// `table: col=value, …` per row, volatile columns left out, BLOBs by length only.
fn table_rows(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut statement = conn
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .expect("select");
    let columns: Vec<String> = statement
        .column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut rows = statement.query([]).expect("rows");
    let mut out = Vec::new();
    while let Some(row) = rows.next().expect("row") {
        let mut text = format!("{table}:");
        for (i, column) in columns.iter().enumerate() {
            if VOLATILE.contains(&(table, column.as_str())) {
                continue;
            }
            let value = match row.get_ref(i).expect("value") {
                ValueRef::Null => "null".to_owned(),
                ValueRef::Integer(n) => n.to_string(),
                ValueRef::Real(x) => x.to_string(),
                ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => format!("blob[{}]", b.len()),
            };
            text.push_str(&format!(" {column}={value}"));
        }
        out.push(text);
    }
    out
}

/// The SPEC error code of a body, or "" when it is not a JSON error.
pub fn code_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Runs one hostile request between two snapshots of `data`; asserts its exact status and
/// error code ("" for a success without an error body) and that the world is unchanged.
/// `label` names the case in every failure message.
pub async fn refused<F>(data: &Path, label: &str, status: u16, code: &str, request: F) -> Reply
where
    F: Future<Output = Reply>,
{
    let before = World::of(data);
    let reply = request.await;
    let got = (reply.status.as_u16(), code_of(&reply.body));
    let body = String::from_utf8_lossy(&reply.body[..reply.body.len().min(300)]).into_owned();
    assert_eq!(
        got,
        (status, code.to_owned()),
        "case {label:?}: body {body}"
    );
    assert!(
        World::of(data) == before,
        "case {label:?} changed the world"
    );
    reply
}

/// `GET url` with `token` as the bearer, through `refused`, answered 200.
pub async fn get_unchanged(app: &TestApp, label: &str, url: &str, token: &str) -> Reply {
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str())];
    let request = app.send_raw(Method::GET, url, &headers, Vec::new());
    refused(&app.data_dir(), label, 200, "", request).await
}

/// Owned header pairs as the `(&str, &str)` slice `send_raw` takes.
pub fn borrowed<'a>(headers: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// One table row: a labelled request and the exact answer it must get.
pub struct Case {
    pub label: String,
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub status: u16,
    pub code: &'static str,
}

impl Case {
    pub fn new(label: impl Into<String>, method: Method, path: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            status: 0,
            code: "",
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// A JSON body (with its content type).
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = body.to_string().into_bytes();
        self.header("content-type", "application/json")
    }

    pub fn raw_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn expect(mut self, status: u16, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }
}

/// Runs every case against `app` with `refused`; returns the replies in order.
pub async fn run_cases(app: &TestApp, cases: Vec<Case>) -> Vec<Reply> {
    let mut replies = Vec::new();
    for case in cases {
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = app.send_raw(case.method.clone(), &case.path, &headers, case.body.clone());
        let reply = refused(
            &app.data_dir(),
            &case.label,
            case.status,
            case.code,
            request,
        )
        .await;
        replies.push(reply);
    }
    replies
}

/// An answer read off a raw socket.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// The status line and headers, lower-cased.
    pub head: String,
    pub body: Vec<u8>,
}

impl RawReply {
    pub fn code(&self) -> String {
        code_of(&self.body)
    }
}

/// Connects to `base` (`http://127.0.0.1:PORT`).
pub fn connect(base: &str) -> TcpStream {
    let stream = TcpStream::connect(base.trim_start_matches("http://")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
}

/// Writes `request` byte for byte and reads the answer until the server closes.
pub fn raw(base: &str, request: &[u8]) -> RawReply {
    let mut stream = connect(base);
    // A server may answer and close before reading all of a bad request.
    let _ = stream.write_all(request);
    read_reply(&mut stream)
}

/// Reads one answer until EOF (the requests ask for `Connection: close`).
pub fn read_reply(stream: &mut TcpStream) -> RawReply {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).to_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let rest = bytes.get(split + 4..).unwrap_or_default().to_vec();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(&rest)
    } else {
        rest
    };
    RawReply { status, head, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16);
        let Ok(size) = size else { break };
        let start = line_end + 2;
        if size == 0 || start + size > data.len() {
            break;
        }
        out.extend_from_slice(&data[start..start + size]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// `METHOD path` with a JSON body over a raw socket, with extra header lines.
pub fn raw_json(base: &str, method: &str, path: &str, headers: &[&str], body: &str) -> RawReply {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for line in headers {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    raw(base, request.as_bytes())
}
