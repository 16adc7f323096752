//! A raw HTTP/1.1 client for the wire lane's tests: requests written byte for byte on one
//! `TcpStream`, responses read back in order with every header line as sent.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use crate::helpers::PASSWORD;
use crate::support::server::Server;

/// One response as it came off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// `HTTP/1.1 200 OK`.
    pub status_line: String,
    /// Header lines in order: (lower-case name, value).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Wire {
    pub fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The response with what differs between any two answers by design blanked: `date`
    /// and `x-request-id` values, and a `multipart/byteranges` boundary.
    pub fn comparable(&self) -> Wire {
        let boundary = self
            .header("content-type")
            .and_then(|ct| ct.split_once("boundary="))
            .map(|(_, b)| b.to_owned());
        let blank = |text: &[u8]| match &boundary {
            Some(b) => replace(text, b.as_bytes(), b"BOUNDARY"),
            None => text.to_vec(),
        };
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| match name.as_str() {
                "date" | "x-request-id" => (name.clone(), "*".to_owned()),
                _ => (
                    name.clone(),
                    String::from_utf8_lossy(&blank(value.as_bytes())).into(),
                ),
            })
            .collect();
        Wire {
            status_line: self.status_line.clone(),
            headers,
            body: blank(&self.body),
        }
    }
}

fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// `GET`/`HEAD` of `target` with `headers` (and `Host`), as bytes.
pub fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut text = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// A connection to `server`.
pub fn connect(server: &Server) -> BufReader<TcpStream> {
    let addr = server.base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    BufReader::new(stream)
}

/// Writes `bytes` (one or more requests) on `conn`.
pub fn write(conn: &mut BufReader<TcpStream>, bytes: &[u8]) {
    conn.get_mut().write_all(bytes).expect("write");
}

/// Reads the next response off `conn`; `head_only` for an answer to HEAD.
pub fn read_response(conn: &mut BufReader<TcpStream>, head_only: bool) -> Wire {
    let mut line = String::new();
    conn.read_line(&mut line).expect("status line");
    let status_line = line.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        conn.read_line(&mut line).expect("header line");
        let text = line.trim_end();
        if text.is_empty() {
            break;
        }
        let (name, value) = text.split_once(": ").expect("header");
        headers.push((name.to_owned(), value.to_owned()));
    }
    let mut wire = Wire {
        status_line,
        headers,
        body: Vec::new(),
    };
    let bodiless = head_only || wire.status() == 304;
    let length: usize = match wire.header("content-length") {
        Some(n) if !bodiless => n.parse().expect("length"),
        _ => 0,
    };
    wire.body = vec![0; length];
    conn.read_exact(&mut wire.body).expect("body");
    wire
}

/// One request on a fresh connection, and its response.
pub fn once(server: &Server, method: &str, target: &str, headers: &[(&str, &str)]) -> Wire {
    let mut conn = connect(server);
    write(&mut conn, &request(method, target, headers));
    read_response(&mut conn, method == "HEAD")
}

/// A server keeping blobs on its disk (whatever backend the suite runs on), with a
/// signed-in admin `alice`.
pub fn local_server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("dir");
    let env = [("HOARD_STORAGE_BACKEND".to_owned(), "local".to_owned())];
    let mut server = Server::start_with_env(&dir.path().join("data"), &env);
    server.sign_up("alice", PASSWORD);
    (dir, server)
}

/// Uploads `bytes` as `/NAME` by raw PUT; the new file's id.
pub fn put(server: &Server, name: &str, bytes: &[u8]) -> i64 {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("upload");
    std::fs::write(&file, bytes).expect("write");
    let path = format!("/api/v1/files/by-path?path=/{name}");
    let (status, reply) = server.json(&path, &["-T", file.to_str().expect("utf-8")]);
    assert_eq!(status, 201, "{reply}");
    reply["id"].as_i64().expect("id")
}

/// Bytes that tell their offsets apart.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}
