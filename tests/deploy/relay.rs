//! A TCP relay between a proxy under test and Hoard that keeps a copy of what the proxy
//! sent, so a test sees the requests as Hoard gets them, and when their bytes arrive.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::support::server::Server;

/// A loopback port that relays to Hoard and keeps a copy of what it was sent.
pub struct Relay {
    pub port: u16,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl Relay {
    pub fn start(hoard: &Server) -> Self {
        let upstream: u16 = hoard.base.rsplit(':').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = sent.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                pipe(
                    server.try_clone().unwrap(),
                    client.try_clone().unwrap(),
                    None,
                );
                pipe(client, server, Some(log.clone()));
            }
        });
        Self { port, sent }
    }

    pub fn sent_len(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    /// The head of the last request that starts with `request_line`, lower-cased (header
    /// names' case is the proxy's choice).
    pub fn last_head(&self, request_line: &str) -> String {
        let sent = String::from_utf8_lossy(&self.sent.lock().unwrap()).to_lowercase();
        let start = sent
            .rfind(&request_line.to_lowercase())
            .unwrap_or_else(|| panic!("the proxy sent {request_line:?}"));
        let end = sent[start..].find("\r\n\r\n").unwrap() + start;
        sent[start..end + 2].to_owned()
    }
}

/// Copies `from` to `to` on a thread (into `log` too), then shuts `to` for writing.
fn pipe(mut from: TcpStream, mut to: TcpStream, log: Option<Arc<Mutex<Vec<u8>>>>) {
    thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            if let Some(log) = &log {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
