//! Facts about a request's body that the middleware and the upload handlers share: its
//! declared length, whether it has one at all, and the lingering close of a refused upload
//! (not for a client still waiting for `100 Continue`).

use std::pin::Pin;
use std::task::{Context, Poll};

use poem::Request;
use tokio::io::{AsyncRead, ReadBuf};

/// The request's `Content-Length`, when it declares one.
pub fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
}

/// Whether the request carries a body: a non-zero length, or chunked framing.
pub fn has_body(req: &Request) -> bool {
    declared_length(req).is_some_and(|n| n > 0)
        || req
            .headers()
            .contains_key(poem::http::header::TRANSFER_ENCODING)
}

/// How long a refused upload's remaining body is read and discarded before answering.
/// Without it the client may still be sending when the connection closes, and sees a reset
/// instead of the error (nginx calls this lingering close).
const LINGER: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `drain` (reading a refused body to its end) for at most [`LINGER`].
pub async fn linger<F: std::future::Future>(drain: F) {
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// A request body reader that remembers whether it was ever read. hyper sends
/// `100 Continue` on the first read, so an upload refused before it has told a waiting
/// client nothing, and its body need not be drained.
pub struct Watched<R> {
    inner: R,
    touched: bool,
}

impl<R: AsyncRead + Unpin> Watched<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            touched: false,
        }
    }

    /// After a refusal: reads what is left of the body (for at most [`LINGER`]) unless a
    /// client waiting for `100 Continue` has sent nothing yet.
    pub async fn refuse(&mut self, req: &Request) {
        if self.touched || !req.headers().contains_key(poem::http::header::EXPECT) {
            linger(tokio::io::copy(self, &mut tokio::io::sink())).await;
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Watched<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.touched = true;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
