//! The accept loop: hyper serving the poem endpoint over plain `TcpStream`s.
//!
//! poem's own `Server` hands hyper each socket as a `BoxIo` (a `tokio::io::split` pair
//! behind a lock) that does not forward vectored writes, so hyper copies every body byte
//! into its header buffer before writing it (~10 % of a 64 KiB GET, 12–15 % of a large
//! download). Here hyper gets the `TcpStream` itself and writes headers and body with one
//! `writev`, no copy. Everything else stays poem: the endpoint, its middleware and
//! extractors see the same `Request` (with local and remote address) as under `Server`.
//!
//! Each connection starts in the wire lane ([`super::wire`]), which answers the byte
//! routes itself with `sendfile` and hands the connection to hyper at the first request
//! that is not its own.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown, Watcher};
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::wire::{self, Lane, Outcome, Rewind};

/// A client must send a request's headers within this long (slowloris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// hyper's read buffer, which also bounds a request head (a larger one is 431). 128 KiB
/// rather than hyper's 408 KiB: an upload's body passes through this buffer on its way to
/// the 1 MiB chunk, and a smaller buffer, refilled in place, is likelier to be in cache
/// when it is copied out (that copy was 7–9 % of an upload's samples at 408 KiB). 1 GiB
/// uploads on one core, medians of eight alternated runs (2026-12-08, `bench/RESULTS.md`):
/// multipart 9 % and raw `PUT` 3 % faster at 9 % and 3 % less CPU, tus level or better.
/// Heads stay far above what clients send: a 100 KiB URL still gets its 414.
const READ_BUFFER: usize = 128 << 10;

/// Accepts on `bind` until `shutdown` resolves, then lets open connections finish their
/// requests for up to `drain`.
pub async fn run<E, L>(
    bind: SocketAddr,
    endpoint: E,
    lane: Arc<L>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    E: Endpoint<Output = poem::Response> + 'static,
    L: Lane,
{
    let listener = TcpListener::bind(bind).await?;
    let local = listener.local_addr()?;
    let endpoint = Arc::new(endpoint);
    let graceful = GracefulShutdown::new();
    let (closing, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // EMFILE and friends: back off instead of spinning on the error.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn = Conn {
            stream,
            local,
            remote,
            watcher: graceful.watcher(),
            closing: closing_rx.clone(),
        };
        tokio::spawn(conn.serve(lane.clone(), endpoint.clone()));
    }
    drop(listener);
    let _ = closing.send(true);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain period; closing them");
    }
    Ok(())
}

/// One accepted connection, with what it needs to shut down gracefully.
struct Conn {
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    watcher: Watcher,
    closing: watch::Receiver<bool>,
}

impl Conn {
    /// The wire lane first; hyper (HTTP/1.1 or h2c, with upgrades) from the first request
    /// the lane does not take.
    async fn serve<E, L>(self, lane: Arc<L>, endpoint: Arc<E>)
    where
        E: Endpoint<Output = poem::Response> + 'static,
        L: Lane,
    {
        // Small responses go out at once instead of waiting for Nagle.
        let _ = self.stream.set_nodelay(true);
        let addrs = (
            LocalAddr(Addr::SocketAddr(self.local)),
            RemoteAddr(Addr::SocketAddr(self.remote)),
        );
        let outcome = wire::serve(
            self.stream,
            &*lane,
            addrs,
            HEADER_READ_TIMEOUT,
            self.closing,
        )
        .await;
        if let Outcome::HandOver(io) = outcome {
            let connection = hyper_connection(io, self.local, self.remote, endpoint);
            let _ = self.watcher.watch(connection).await;
        }
    }
}

/// hyper serving `endpoint` on `io`.
fn hyper_connection<E>(
    io: Rewind,
    local: SocketAddr,
    remote: SocketAddr,
    endpoint: Arc<E>,
) -> impl GracefulConnection
where
    E: Endpoint<Output = poem::Response> + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let endpoint = endpoint.clone();
        async move {
            let local = LocalAddr(Addr::SocketAddr(local));
            let remote = RemoteAddr(Addr::SocketAddr(remote));
            let req = poem::Request::from((req, local, remote, Scheme::HTTP));
            let resp: hyper::Response<_> = endpoint.get_response(req).await.into();
            Ok::<_, Infallible>(resp)
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(READ_BUFFER);
    builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .into_owned()
}
