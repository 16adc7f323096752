//! `produced`: a response body filled by a blocking producer thread through a bounded
//! channel, for the file responder and the zip writer alike.
//!
//! The thread starts on the first poll, so a body that is dropped unpolled (HEAD) costs
//! nothing. A slow client applies back-pressure (the channel holds `DEPTH` frames); a client
//! that goes away makes the producer's next `send` fail, and it stops. The body promises
//! exactly `length` bytes and fails — never ends early — when the producer sends fewer or
//! more, so hyper aborts the connection instead of finishing a short body under a full
//! Content-Length.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::sync::mpsc;

/// Frames buffered between a producer thread and the connection.
const DEPTH: usize = 2;

/// The producer's end: send frames in order; an `Err` ends the body with that error.
pub type Sender = mpsc::Sender<io::Result<Bytes>>;

type Producer = Box<dyn FnOnce(Sender) + Send + Sync>;

/// A body of exactly `length` bytes, produced by `producer` on a blocking thread.
pub fn produced(length: u64, producer: impl FnOnce(Sender) + Send + Sync + 'static) -> poem::Body {
    let body = Produced {
        start: Some(Box::new(producer)),
        rx: None,
        remaining: length,
    };
    poem::Body::from(http_body_util::combinators::BoxBody::new(body))
}

struct Produced {
    start: Option<Producer>,
    rx: Option<mpsc::Receiver<io::Result<Bytes>>>,
    remaining: u64,
}

impl http_body::Body for Produced {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        if let Some(producer) = this.start.take() {
            let (tx, rx) = mpsc::channel(DEPTH);
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || producer(tx))),
                Err(error) => return Poll::Ready(Some(Err(io::Error::other(error)))),
            }
            this.rx = Some(rx);
        }
        let Some(rx) = this.rx.as_mut() else {
            return Poll::Ready(None);
        };
        let error = match std::task::ready!(rx.poll_recv(cx)) {
            Some(Ok(chunk)) if chunk.len() as u64 <= this.remaining => {
                this.remaining -= chunk.len() as u64;
                return Poll::Ready(Some(Ok(Frame::data(chunk))));
            }
            Some(Ok(_)) => io::Error::other("body longer than announced"),
            Some(Err(error)) => error,
            None => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body ended before its announced length",
            ),
        };
        this.rx = None;
        Poll::Ready(Some(Err(error)))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
