//! Test helpers of the multipart parser, shared by its unit tests and the fuzz harness:
//! a request body of ready frames, and a whole form read through the parser without a
//! runtime.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::{Multipart, MultipartError, Source};

/// One part as [`parse_form`] read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    pub name: Option<String>,
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

/// Reads a whole form from these frames: every part to its end, through the field's
/// `AsyncRead` in 7-byte reads (`small_reads`) or by chunks. No runtime: every frame is ready.
pub fn parse_form(
    frames: Vec<Bytes>,
    boundary: &str,
    small_reads: bool,
) -> Result<Vec<FormPart>, MultipartError> {
    let mut form = Multipart::new(Source::new(Frames::new(frames, None)), boundary)?;
    let read = read_form(&mut form, small_reads);
    let mut read = std::pin::pin!(read);
    match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(parts) => parts,
        Poll::Pending => panic!("the form waits although every frame is ready"),
    }
}

async fn read_form(
    form: &mut Multipart,
    small_reads: bool,
) -> Result<Vec<FormPart>, MultipartError> {
    let mut parts = Vec::new();
    while let Some(mut field) = form.next_field().await? {
        let mut data = Vec::new();
        if small_reads {
            let mut buf = [0; 7];
            loop {
                let n = field.read(&mut buf).await.map_err(multipart_error)?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
        } else {
            while let Some(chunk) = field.chunk().await? {
                assert!(!chunk.is_empty(), "an empty chunk");
                data.extend_from_slice(&chunk);
            }
        }
        let name = field.name().map(str::to_owned);
        let file_name = field.file_name().map(str::to_owned);
        parts.push(FormPart {
            name,
            file_name,
            data,
        });
    }
    Ok(parts)
}

/// The parser's error inside a field reader's `io::Error`.
fn multipart_error(error: io::Error) -> MultipartError {
    match error
        .into_inner()
        .map(|inner| inner.downcast::<MultipartError>())
    {
        Some(Ok(error)) => *error,
        other => panic!("a field reader failed with a foreign error: {other:?}"),
    }
}

/// A request body of ready frames, then perhaps an error.
pub struct Frames {
    frames: VecDeque<Bytes>,
    error: Option<io::Error>,
}

impl Frames {
    pub fn new(frames: impl IntoIterator<Item = Bytes>, error: Option<io::Error>) -> Self {
        Self {
            frames: frames.into_iter().collect(),
            error,
        }
    }
}

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        let next = match self.frames.pop_front() {
            Some(frame) => Some(Ok(http_body::Frame::data(frame))),
            None => self.error.take().map(Err),
        };
        Poll::Ready(next)
    }
}
