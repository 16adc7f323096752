//! `multipart/form-data` (RFC 7578 over RFC 2046) parsed while the body streams in, for
//! `POST /files` and `PUT /users/me/avatar`. A part's content comes out as slices of the
//! body's own frames (`Bytes::split_to`, no copy): only the end of a frame that may begin a delimiter is held
//! back, and copied, until the next frame says whether it does. Memory stays bounded
//! whatever the input: one frame, fewer than 75 held-back bytes, at most 8 KiB of headers.
//!
//! Every part's content ends at a delimiter; a body that ends first is [`Incomplete`], and
//! the field's reader reports that instead of its end, so a cut-off upload is never taken
//! for a complete file.
//!
//! [`Incomplete`]: MultipartError::Incomplete

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use http_body::Body as _;
use http_body_util::combinators::BoxBody;
use memchr::memmem::{self, Finder};
use tokio::io::{AsyncRead, ReadBuf};

use headers::{params, parse_head, Part};

/// A request body as the parser reads it (what `poem::Body` converts into).
pub type Source = BoxBody<Bytes, io::Error>;

/// The most bytes of one part's header block, from the end of its boundary to the empty line.
pub const MAX_HEAD: usize = 8 * 1024;
/// The most parts one form may have.
pub const MAX_PARTS: usize = 1000;

/// Why a form cannot be read. The text is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("no boundary in the Content-Type")]
    NoBoundary,
    #[error("the boundary must be 1 to 70 characters allowed by RFC 2046")]
    InvalidBoundary,
    #[error("the body ends before the closing boundary")]
    Incomplete,
    #[error("a boundary is followed by something other than a line break")]
    BadBoundaryLine,
    #[error("a part's headers are longer than 8 KiB")]
    HeadTooLarge,
    #[error("a part's headers are malformed")]
    BadHeaders,
    #[error("more than 1000 parts")]
    TooManyParts,
    #[error("the request body broke off: {0}")]
    Body(String),
}

impl From<MultipartError> for io::Error {
    fn from(error: MultipartError) -> Self {
        let kind = match error {
            MultipartError::Incomplete => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// The `boundary` parameter of a `multipart/*` Content-Type, quoted or not, checked.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let start = content_type.find(';').unwrap_or(content_type.len());
    let params = params(&content_type[start..]).ok_or(MultipartError::InvalidBoundary)?;
    let (_, boundary) = params
        .into_iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("boundary"))
        .ok_or(MultipartError::NoBoundary)?;
    check_boundary(&boundary)?;
    Ok(boundary)
}

/// RFC 2046 §5.1.1: 1 to 70 of `bchars`, not ending in a space. So the delimiter holds a CR
/// only as its first byte, which the held-back logic of [`Multipart`] relies on.
fn check_boundary(boundary: &str) -> Result<(), MultipartError> {
    let bchar = |b: u8| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b);
    let valid = (1..=70).contains(&boundary.len())
        && boundary.bytes().all(bchar)
        && !boundary.ends_with(' ');
    valid.then_some(()).ok_or(MultipartError::InvalidBoundary)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter: skipped.
    Preamble,
    /// After a delimiter: the rest of its line, then the part's headers.
    Head,
    /// A part's content.
    Data,
    /// After the closing delimiter: the epilogue is never read.
    Done,
}

/// A streaming `multipart/form-data` reader: [`Multipart::next_field`] in a loop.
pub struct Multipart {
    body: Source,
    ended: bool,
    /// The unread rest of the current frame.
    frame: Bytes,
    /// The end of the previous frame, when it is the start of a delimiter (fewer bytes than it).
    held: Vec<u8>,
    /// A part's header block as it arrives.
    head: Vec<u8>,
    /// `\r\n--boundary`.
    delimiter: Finder<'static>,
    state: State,
    parts: usize,
    failed: Option<MultipartError>,
}

impl Multipart {
    /// A reader of `body`, a form whose parts are separated by `boundary`.
    pub fn new(body: impl Into<Source>, boundary: &str) -> Result<Self, MultipartError> {
        check_boundary(boundary)?;
        let delimiter = [b"\r\n--", boundary.as_bytes()].concat();
        Ok(Self {
            body: body.into(),
            ended: false,
            frame: Bytes::new(),
            // The first boundary may open the body without the line break before it.
            held: b"\r\n".to_vec(),
            head: Vec::new(),
            delimiter: Finder::new(&delimiter).into_owned(),
            state: State::Preamble,
            parts: 0,
            failed: None,
        })
    }

    /// The next part, once the rest of the current one is skipped; `None` after the last.
    /// An error stays: every later call returns it again.
    pub async fn next_field(&mut self) -> Result<Option<Field<'_>>, MultipartError> {
        let Some(part) = poll_fn(|cx| self.poll_next_part(cx)).await? else {
            return Ok(None);
        };
        Ok(Some(Field {
            multipart: self,
            name: part.name,
            file_name: part.file_name,
            pending: Bytes::new(),
        }))
    }

    /// Reads the rest of the body and drops it, unparsed (before refusing a form, so that
    /// the client, still sending, reads the answer rather than a reset).
    pub async fn drain(&mut self) {
        self.frame = Bytes::new();
        poll_fn(|cx| {
            while !self.ended {
                match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => self.ended = true,
                }
            }
            Poll::Ready(())
        })
        .await;
    }

    fn poll_next_part(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Part>, MultipartError>> {
        loop {
            if let Some(error) = &self.failed {
                return Poll::Ready(Err(error.clone()));
            }
            let step = match self.state {
                // Skipped content: the preamble, or what the last field left unread.
                State::Preamble | State::Data => ready!(self.poll_scan(cx)).map(|_| None),
                State::Head => ready!(self.poll_head(cx)),
                State::Done => return Poll::Ready(Ok(None)),
            };
            match step {
                Ok(None) => {}
                Ok(Some(part)) => return Poll::Ready(Ok(Some(part))),
                Err(error) => self.failed = Some(error),
            }
        }
    }

    /// The next bytes of the current part's content; `None` at its end.
    fn poll_content(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, MultipartError>> {
        if let Some(error) = &self.failed {
            return Poll::Ready(Err(error.clone()));
        }
        if self.state != State::Data {
            return Poll::Ready(Ok(None));
        }
        let scanned = ready!(self.poll_scan(cx));
        if let Err(error) = &scanned {
            self.failed = Some(error.clone());
        }
        Poll::Ready(scanned)
    }

    /// The next content bytes before the next delimiter; `None` once that delimiter is read.
    fn poll_scan(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, MultipartError>> {
        loop {
            if self.frame.is_empty() && !ready!(self.poll_frame(cx))? {
                return Poll::Ready(Err(MultipartError::Incomplete));
            }
            let delimiter = self.delimiter.needle();
            if !self.held.is_empty() {
                let wanted = &delimiter[self.held.len()..];
                let n = wanted.len().min(self.frame.len());
                if self.frame[..n] == wanted[..n] {
                    self.frame.advance(n);
                    if n < wanted.len() {
                        self.held.extend_from_slice(&wanted[..n]);
                        continue;
                    }
                    self.held.clear();
                    self.state = State::Head;
                    return Poll::Ready(Ok(None));
                }
                // Content after all; no delimiter starts inside it either, as it holds a CR
                // only as its first byte.
                return Poll::Ready(Ok(Some(Bytes::from(std::mem::take(&mut self.held)))));
            }
            match self.delimiter.find(&self.frame) {
                Some(0) => {
                    self.frame.advance(delimiter.len());
                    self.state = State::Head;
                    return Poll::Ready(Ok(None));
                }
                Some(at) => return Poll::Ready(Ok(Some(self.frame.split_to(at)))),
                None => {
                    let content = self.frame.split_to(held_back(&self.frame, delimiter));
                    self.held.extend_from_slice(&self.frame);
                    self.frame = Bytes::new();
                    if !content.is_empty() {
                        return Poll::Ready(Ok(Some(content)));
                    }
                }
            }
        }
    }

    /// After a delimiter: the closing `--`, or transport padding, a line break and a part's
    /// headers up to the empty line.
    fn poll_head(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Part>, MultipartError>> {
        loop {
            if self.frame.is_empty() && !ready!(self.poll_frame(cx))? {
                return Poll::Ready(Err(MultipartError::Incomplete));
            }
            let old = self.head.len();
            let taken = self.frame.len().min(MAX_HEAD - old);
            self.head.extend_from_slice(&self.frame[..taken]);
            if self.head.starts_with(b"--") {
                self.frame.advance(2usize.saturating_sub(old));
                self.head.clear();
                self.state = State::Done;
                return Poll::Ready(Ok(None));
            }
            if !padding(&self.head) {
                return Poll::Ready(Err(MultipartError::BadBoundaryLine));
            }
            let from = old.saturating_sub(3);
            if let Some(at) = memmem::find(&self.head[from..], b"\r\n\r\n") {
                let end = from + at + 4;
                self.frame.advance(end - old);
                let part = parse_head(&self.head[..end]);
                self.head.clear();
                if self.parts == MAX_PARTS {
                    return Poll::Ready(Err(MultipartError::TooManyParts));
                }
                self.parts += 1;
                self.state = State::Data;
                return Poll::Ready(part.map(Some));
            }
            self.frame.advance(taken);
            if self.head.len() == MAX_HEAD {
                return Poll::Ready(Err(MultipartError::HeadTooLarge));
            }
        }
    }

    /// Makes the next non-empty data frame current; `false` at the end of the body.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, MultipartError>> {
        while !self.ended {
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.into_data().ok().filter(|d| !d.is_empty()) {
                        self.frame = data;
                        return Poll::Ready(Ok(true));
                    }
                }
                Some(Err(error)) => {
                    self.ended = true;
                    return Poll::Ready(Err(MultipartError::Body(error.to_string())));
                }
                None => self.ended = true,
            }
        }
        Poll::Ready(Ok(false))
    }
}

/// Where the end of `frame` that may begin `delimiter` starts (`frame.len()` if none): the
/// earliest CR among its last bytes from which the rest is a prefix of the delimiter.
fn held_back(frame: &[u8], delimiter: &[u8]) -> usize {
    let from = frame.len().saturating_sub(delimiter.len() - 1);
    memchr::memchr_iter(b'\r', &frame[from..])
        .map(|at| from + at)
        .find(|&at| delimiter.starts_with(&frame[at..]))
        .unwrap_or(frame.len())
}

/// Whether the boundary line read so far is transport padding (spaces and tabs), maybe with
/// its CR, or the first dash of a closing `--`.
fn padding(head: &[u8]) -> bool {
    let line = match memmem::find(head, b"\r\n") {
        Some(end) => &head[..end],
        None if head == b"-" => return true,
        None => head.strip_suffix(b"\r").unwrap_or(head),
    };
    line.iter().all(|&b| b == b' ' || b == b'\t')
}

/// One part of the form: its name and filename, and its content as an [`AsyncRead`] or as
/// [`Field::chunk`]s. Dropping it unread is fine: the next `next_field` skips the rest.
pub struct Field<'a> {
    multipart: &'a mut Multipart,
    name: Option<String>,
    file_name: Option<String>,
    /// What a short read left of the last chunk.
    pending: Bytes,
}

impl Field<'_> {
    /// The `name` parameter of its Content-Disposition.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Its `filename*` or `filename` parameter.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The next bytes of its content (a slice of a body frame), `None` at its end; the end
    /// of the body before its delimiter is an error, not an end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        poll_fn(|cx| self.multipart.poll_content(cx)).await
    }
}

impl AsyncRead for Field<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.pending.is_empty() {
            match ready!(this.multipart.poll_content(cx)) {
                Ok(Some(chunk)) => this.pending = chunk,
                Ok(None) => return Poll::Ready(Ok(())),
                Err(error) => return Poll::Ready(Err(error.into())),
            }
        }
        let n = this.pending.len().min(buf.remaining());
        buf.put_slice(&this.pending[..n]);
        this.pending.advance(n);
        Poll::Ready(Ok(()))
    }
}

mod headers;
#[cfg(any(test, feature = "fuzzing"))]
pub mod testing;

#[cfg(test)]
mod tests;
