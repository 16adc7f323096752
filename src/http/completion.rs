//! `before_last_bytes`: a response body that runs one async step just before its last bytes
//! go out — counting a completed share download — and fails the transfer when the step
//! refuses, so the client never sees a complete body that was not counted.
//!
//! The last data frame is held back until the step is done; a body that breaks off earlier
//! (client gone, I/O error) never runs it. An empty body runs it before reporting its end.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use tokio::task::JoinHandle;

/// The step: resolves to false to fail the transfer.
pub type Step = Pin<Box<dyn Future<Output = bool> + Send>>;
type Start = Box<dyn FnOnce() -> Step + Send + Sync>;

/// Wraps `body` so that `step` runs (once) before the body's last bytes are released.
pub fn before_last_bytes(
    body: poem::Body,
    step: impl FnOnce() -> Step + Send + Sync + 'static,
) -> poem::Body {
    let wrapped = Finishing {
        inner: body.into(),
        start: Some(Box::new(step)),
        running: None,
        held: None,
        failed: false,
    };
    poem::Body::from(BoxBody::new(wrapped))
}

struct Finishing {
    inner: BoxBody<Bytes, io::Error>,
    start: Option<Start>,
    running: Option<JoinHandle<bool>>,
    /// The last data frame (or `None` for an empty body's end) waiting for the step.
    held: Option<Option<Frame<Bytes>>>,
    failed: bool,
}

impl Finishing {
    /// Holds `last` back and starts the step.
    fn hold(&mut self, last: Option<Frame<Bytes>>) -> Result<(), io::Error> {
        self.held = Some(last);
        let start = self
            .start
            .take()
            .ok_or_else(|| io::Error::other("step ran twice"))?;
        let runtime = tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        self.running = Some(runtime.spawn(start()));
        Ok(())
    }
}

impl http_body::Body for Finishing {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        if let Some(running) = this.running.as_mut() {
            let allowed = std::task::ready!(Pin::new(running).poll(cx)).unwrap_or(false);
            this.running = None;
            let held = this.held.take().flatten();
            if !allowed {
                this.failed = true;
                return Poll::Ready(Some(Err(io::Error::other("transfer refused at its end"))));
            }
            return Poll::Ready(held.map(Ok));
        }
        if this.start.is_none() {
            // The step has run and the held frame is out: only the end is left.
            return Pin::new(&mut this.inner).poll_frame(cx);
        }
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        let last = match frame {
            Some(Ok(frame)) if !this.inner.is_end_stream() => return Poll::Ready(Some(Ok(frame))),
            Some(Ok(frame)) => Some(frame),
            Some(Err(error)) => {
                this.failed = true;
                return Poll::Ready(Some(Err(error)));
            }
            None => None,
        };
        if let Err(error) = this.hold(last) {
            this.failed = true;
            return Poll::Ready(Some(Err(error)));
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.failed
            || (self.start.is_none()
                && self.running.is_none()
                && self.held.is_none()
                && self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let held = match &self.held {
            Some(Some(frame)) => frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => 0,
        };
        let inner = self.inner.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + held);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + held);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn counting(ran: &Arc<AtomicUsize>, allow: bool) -> impl FnOnce() -> Step + Send + Sync {
        let ran = ran.clone();
        move || -> Step {
            Box::pin(async move {
                ran.fetch_add(1, Ordering::SeqCst);
                allow
            })
        }
    }

    fn chunks(parts: &[&'static [u8]]) -> poem::Body {
        let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let parts: Vec<Bytes> = parts.iter().map(|p| Bytes::from_static(p)).collect();
        crate::http::body::produced(total, move |tx| {
            for part in parts {
                if tx.blocking_send(Ok(part)).is_err() {
                    return;
                }
            }
        })
    }

    #[tokio::test]
    async fn the_step_runs_once_when_the_body_completes() -> Result<(), poem::error::ReadBodyError>
    {
        let ran = Arc::new(AtomicUsize::new(0));
        let body = before_last_bytes(chunks(&[b"abc", b"def"]), counting(&ran, true));
        assert_eq!(body.into_vec().await?, b"abcdef");
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        let empty = before_last_bytes(poem::Body::empty(), counting(&ran, true));
        assert!(empty.into_vec().await?.is_empty());
        assert_eq!(ran.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_refusing_step_fails_the_transfer_and_an_unread_body_never_runs_it() {
        let ran = Arc::new(AtomicUsize::new(0));
        let body = before_last_bytes(chunks(&[b"abc", b"def"]), counting(&ran, false));
        assert!(body.into_vec().await.is_err());
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        drop(before_last_bytes(chunks(&[b"abc"]), counting(&ran, true)));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
