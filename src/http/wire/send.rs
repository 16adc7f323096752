//! Writing a [`Planned`] response on the raw socket as hyper writes it — the status line,
//! the headers in their order with lower-case names, `connection: close` when the client
//! asked for it, then `date` — and its body: blob pieces leave by `sendfile` straight from
//! the page cache, the head and literal pieces by `send`, with `MSG_MORE` so they share
//! packets with file bytes that follow from a page boundary. A slow client makes the
//! socket not writable and the task waits; a client that resets ends the connection with
//! the error.

use std::cell::RefCell;
use std::io;
use std::os::fd::AsFd;

use futures_util::StreamExt;
use poem::http::{header, HeaderMap, Method, StatusCode};
use tokio::io::Interest;
use tokio::net::TcpStream;

use crate::blob::OpenBlob;
use crate::http::byte_serving::{http_date, Planned, PlannedBody, Segment};

/// Most bytes one `sendfile` call moves: a file not in the page cache blocks the call on
/// the disk, so each call is kept short.
const SENDFILE_MAX: usize = 2 << 20;

/// Whether the head is corked (`MSG_MORE`) in front of file bytes from `start`: only when
/// they start on a page boundary. Measured on the bench's random 64 KiB ranges, a corked
/// head before an unaligned `sendfile` cost 54 µs of server CPU per request against 23 µs
/// without it (the head then leaves in a packet of its own, as nginx sends it); on a page
/// boundary the cork saves about 1 µs. 4 KiB is the page of x86-64 and of most arm64
/// kernels; asking the kernel (rustix's `param`) cost 48 KB of a binary that has 75 KB left
/// under SPEC §15's limit, and on a larger-page kernel a wrong guess costs only speed.
const PAGE: u64 = 4096;

fn cork_before(start: u64) -> bool {
    start % PAGE == 0
}

/// Writes `planned` as the answer to a `method` request; `close` adds `connection: close`.
pub async fn send(
    stream: &TcpStream,
    method: &Method,
    planned: Planned,
    close: bool,
) -> io::Result<()> {
    let mut out = head(planned.status, &planned.headers, method, close);
    match planned.body {
        PlannedBody::Empty => send_all(stream, &out, false).await,
        PlannedBody::Bytes(bytes) => {
            out.extend_from_slice(&bytes);
            send_all(stream, &out, false).await
        }
        PlannedBody::File(blob, plan) => send_file(stream, out, &blob, plan).await,
        PlannedBody::Stream(body) => {
            send_all(stream, &out, true).await?;
            let mut chunks = body.into_bytes_stream();
            while let Some(chunk) = chunks.next().await {
                send_all(stream, &chunk?, false).await?;
            }
            Ok(())
        }
    }
}

/// The head as hyper writes it for this response.
fn head(status: StatusCode, headers: &HeaderMap, method: &Method, close: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    if status == StatusCode::OK {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    } else {
        let reason = status.canonical_reason().unwrap_or("<none>");
        out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", status.as_str()).as_bytes());
    }
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let bodiless = status == StatusCode::NOT_MODIFIED || status == StatusCode::NO_CONTENT;
    if !headers.contains_key(header::CONTENT_LENGTH) && !bodiless && method != Method::HEAD {
        out.extend_from_slice(b"content-length: 0\r\n");
    }
    if close && !headers.contains_key(header::CONNECTION) {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"date: ");
    now(&mut out);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// The head, then each piece: literal ones gathered and sent ahead of the file piece that
/// follows them, file pieces by `sendfile`.
async fn send_file(
    stream: &TcpStream,
    mut pending: Vec<u8>,
    blob: &OpenBlob,
    plan: Vec<Segment>,
) -> io::Result<()> {
    for segment in plan {
        match segment {
            Segment::Mem(bytes) => pending.extend_from_slice(&bytes),
            Segment::File(start, len) => {
                send_all(stream, &std::mem::take(&mut pending), cork_before(start)).await?;
                sendfile_all(stream, blob, start, len).await?;
            }
        }
    }
    send_all(stream, &pending, false).await
}

/// Sends all of `bytes`; `more` tells the kernel that more follows at once (`MSG_MORE`).
async fn send_all(stream: &TcpStream, mut bytes: &[u8], more: bool) -> io::Result<()> {
    let flags = match more {
        true => rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
        false => rustix::net::SendFlags::NOSIGNAL,
    };
    while !bytes.is_empty() {
        let sent = stream
            .async_io(Interest::WRITABLE, || {
                rustix::net::send(stream.as_fd(), bytes, flags).map_err(io::Error::from)
            })
            .await?;
        bytes = &bytes[sent..];
    }
    Ok(())
}

/// Sends `len` bytes of `blob` from `start`. A blob shorter than promised fails, so a
/// client never takes a short body for a whole one (its connection is closed).
async fn sendfile_all(stream: &TcpStream, blob: &OpenBlob, start: u64, len: u64) -> io::Result<()> {
    let (mut at, end) = (start, start + len);
    while at < end {
        let want = usize::try_from(end - at).map_or(SENDFILE_MAX, |n| n.min(SENDFILE_MAX));
        let sent = stream
            .async_io(Interest::WRITABLE, || {
                let mut offset = at;
                rustix::fs::sendfile(stream.as_fd(), &blob.file, Some(&mut offset), want)
                    .map_err(io::Error::from)
            })
            .await?;
        if sent == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "blob ended before its announced length",
            ));
        }
        at += sent as u64;
    }
    Ok(())
}

/// Appends now as an HTTP-date, formatted once per second per thread (as hyper caches its
/// own).
fn now(out: &mut Vec<u8>) {
    thread_local! {
        static CACHED: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHED.with_borrow_mut(|(at, text)| {
        if *at != secs {
            *at = secs;
            *text = http_date(i64::try_from(secs).unwrap_or(i64::MAX));
        }
        out.extend_from_slice(text.as_bytes());
    })
}
