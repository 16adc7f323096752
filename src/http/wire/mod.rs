//! The wire lane: a narrow HTTP/1.1 responder on the raw socket for the byte routes a
//! [`Lane`] declares (issue 19). hyper cannot hand a body to `sendfile`: every body byte
//! is read into memory by a `pread` and copied out by a `writev`. Here the lane answers
//! `GET`/`HEAD` of a blob with the head in one `send` and the bytes by `sendfile` from an
//! open descriptor the store reuses: no copy through user space, and no router, middleware
//! stack or body machinery per request.
//!
//! Each new connection starts here. A request head is read and parsed with `httparse`
//! ([`head`]); one the lane takes is answered by the lane's services ([`Lane::answer`],
//! the same ones the full path calls) and written like hyper writes it ([`send`]). The
//! first request that is not the lane's — another route, a body, another version, a head
//! that does not parse, or one the lane's services decline (every failure: the full path
//! answers errors) — hands the connection to hyper together with every byte read so far
//! ([`rewind`]), and hyper serves it from then on. Keep-alive and pipelined requests are
//! answered in order; `Connection: close` is honoured; a head must arrive within the same
//! 30 s hyper allows; a client that resets or stops reading only ends its own connection.

pub mod head;
mod rewind;
mod send;

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use poem::http::Method;
use poem::web::{LocalAddr, RemoteAddr};
use poem::Request;
use tokio::net::TcpStream;
use tokio::sync::watch;

pub use rewind::Rewind;

use super::byte_serving::Planned;
use head::{Head, Parsed};

/// The routes the lane answers and the services that answer them (given by `api`).
pub trait Lane: Send + Sync + 'static {
    /// Whether a `method` request for `target` (path and query as sent) may be the lane's:
    /// a cheap test on the request line, made before the headers are looked at.
    fn wants(&self, method: &Method, target: &str) -> bool;

    /// The answer to `req`, its head final (request id stamped, log line written), or
    /// `None`: the full path answers it.
    fn answer(&self, req: Request) -> impl Future<Output = Option<Planned>> + Send;
}

/// How a connection left the lane.
pub enum Outcome {
    /// It is closed (or broken): nothing more to do.
    Closed,
    /// hyper takes it from here, with the bytes already read.
    HandOver(Rewind),
}

/// Answers the lane's requests on `stream` until one is not the lane's, the connection
/// ends, or `closing` says the server is shutting down (between requests).
pub async fn serve<L: Lane>(
    stream: TcpStream,
    lane: &L,
    addrs: (LocalAddr, RemoteAddr),
    header_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) -> Outcome {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let idle = buf.is_empty();
        let next = tokio::time::timeout(
            header_timeout,
            next_request(&stream, &mut buf, lane, &addrs),
        );
        let next = tokio::select! {
            next = next => next,
            _ = closing.wait_for(|closing| *closing), if idle => return Outcome::Closed,
        };
        let parsed = match next {
            Ok(Ok(Some(parsed))) => parsed,
            Ok(Ok(None)) => return Outcome::HandOver(Rewind::new(stream, buf)),
            Ok(Err(_)) | Err(_) => return Outcome::Closed,
        };
        let method = parsed.request.method().clone();
        let Some(planned) = lane.answer(parsed.request).await else {
            return Outcome::HandOver(Rewind::new(stream, buf));
        };
        buf.advance(parsed.len);
        if let Err(error) = send::send(&stream, &method, planned, parsed.close).await {
            tracing::debug!(%error, "response broke off: the client went away");
            return Outcome::Closed;
        }
        if parsed.close || *closing.borrow() {
            return Outcome::Closed;
        }
    }
}

/// Reads until `buf` starts with a whole head: `Some` if it is the lane's, `None` if not
/// (hand over), `Err` when the client closed or the socket failed.
async fn next_request<L: Lane>(
    stream: &TcpStream,
    buf: &mut BytesMut,
    lane: &L,
    (local, remote): &(LocalAddr, RemoteAddr),
) -> io::Result<Option<Parsed>> {
    loop {
        if !buf.is_empty() {
            match head::parse(buf, |m, t| lane.wants(m, t), (local, remote)) {
                Head::Ours(parsed) => return Ok(Some(*parsed)),
                Head::Theirs => return Ok(None),
                Head::Partial if buf.len() >= head::MAX_HEAD => return Ok(None),
                Head::Partial => {}
            }
        }
        buf.reserve(4096);
        stream.readable().await?;
        match stream.try_read_buf(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
    }
}
