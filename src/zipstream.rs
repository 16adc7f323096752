//! Folder downloads as streamed zip archives (SPEC §5): no temporary archive on disk and memory
//! bounded whatever the folder size.
//!
//! A blocking thread drives the `zip` crate's non-seeking writer (`ZipWriter::new_stream`, which
//! writes a data descriptor after each entry) into a sink that cuts its output into 1 MiB
//! frames and hands them to the connection through a channel of [`DEPTH`] frames, so a slow
//! client back-pressures the disk reads and peak memory is a few MiB. Entries are STORED, not
//! deflated: the bytes are copied at disk speed on a weak CPU, most drive content (photos,
//! video, archives, office files) is already compressed, and the archive length is exact.
//!
//! Names are UTF-8 (the crate sets general-purpose flag bit 11 for every non-ASCII name).
//! Modification times are written twice: the DOS field in the server's local wall time (what
//! Windows Explorer shows) and the Info-ZIP extended timestamp (exact UTC seconds, used by
//! `unzip`, 7-Zip and macOS). ZIP64 records are emitted by the crate where needed: for an entry
//! of 4 GiB or more (marked up front from [`ZipItem::size`]), for entries starting past 4 GiB
//! and for more than 65 535 entries.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use poem::Body;
use tokio::sync::mpsc;
use zip::write::{FullFileOptions, ZipWriter};
use zip::{CompressionMethod, DateTime};

/// Bytes per blob read and per body frame.
const CHUNK: usize = 1 << 20;
/// Frames buffered between the writer thread and the connection.
const DEPTH: usize = 4;
/// Info-ZIP extended timestamp extra field ("UT").
const EXTENDED_TIMESTAMP: u16 = 0x5455;

/// One file of the archive.
#[derive(Debug, Clone)]
pub struct ZipItem {
    /// Path inside the archive, '/'-separated, no leading '/', e.g. `photos/2024/cat.jpg`;
    /// folders end with '/' and have no blob.
    pub path: String,
    /// The file's bytes on disk (`None` for a folder, or for an empty file with no blob).
    pub blob: Option<PathBuf>,
    /// Exactly this many bytes are archived; a blob of another length fails the stream.
    pub size: u64,
    /// Unix seconds.
    pub modified: i64,
}

/// Streams a zip of `items` as a response body (chunked: its length is not announced).
///
/// The writer thread starts on the first poll, so a body that is never polled (HEAD) reads
/// nothing; it stops as soon as the client goes away. An I/O error mid-stream ends the body
/// with an error, so the client sees a truncated transfer, never a complete-looking archive.
pub fn stream_zip(items: Vec<ZipItem>) -> Body {
    let body = ZipBody {
        job: Some(items),
        rx: None,
        done: false,
    };
    Body::from(http_body_util::combinators::BoxBody::new(body))
}

/// What the writer thread sends: a frame, `None` once the archive is complete, or the error
/// that ended it.
type Msg = io::Result<Option<Bytes>>;

struct ZipBody {
    job: Option<Vec<ZipItem>>,
    rx: Option<mpsc::Receiver<Msg>>,
    done: bool,
}

impl http_body::Body for ZipBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(items) = this.job.take() {
            let (tx, rx) = mpsc::channel(DEPTH);
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || run(items, tx))),
                Err(e) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(io::Error::other(e))));
                }
            }
            this.rx = Some(rx);
        }
        let Some(rx) = this.rx.as_mut() else {
            this.done = true;
            return Poll::Ready(None);
        };
        let msg = std::task::ready!(rx.poll_recv(cx));
        if let Some(Ok(Some(chunk))) = msg {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        this.done = true;
        this.rx = None;
        Poll::Ready(match msg {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(Err(e)),
            None => Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "zip writer ended early",
            ))),
        })
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

/// The writer thread: the whole archive, then the end marker or the error.
fn run(items: Vec<ZipItem>, tx: mpsc::Sender<Msg>) {
    let mut sink = Sink {
        buf: BytesMut::new(),
        tx: &tx,
    };
    let result = write_archive(&items, &mut sink).and_then(|()| sink.send());
    let end = match result {
        Ok(()) => Ok(None),
        Err(e) if tx.is_closed() => {
            tracing::debug!("zip download abandoned by the client: {e}");
            return;
        }
        Err(e) => {
            tracing::warn!("zip download failed mid-stream: {e}");
            Err(e)
        }
    };
    // Fails only if the client has gone away meanwhile: nothing left to tell.
    let _ = tx.blocking_send(end);
}

fn write_archive(items: &[ZipItem], sink: &mut Sink<'_>) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(sink);
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; CHUNK];
    for item in items {
        let Some(name) = sanitize(&item.path) else {
            tracing::warn!(path = %item.path, "zip: skipped an entry with no usable name");
            continue;
        };
        if !seen.insert(name.clone()) {
            tracing::warn!(path = %item.path, "zip: skipped a duplicate entry name");
            continue;
        }
        let options = options(item.modified, item.size);
        if name.ends_with('/') {
            // Not `add_directory`: in stream mode it sets the data-descriptor flag but writes no
            // descriptor, which Info-ZIP's `unzip` rejects as overlapping entries. An empty
            // entry named "…/" is a folder to every extractor.
            zip.start_file(name, options.unix_permissions(0o755))?;
            continue;
        }
        zip.start_file(name, options.unix_permissions(0o644))?;
        match &item.blob {
            Some(blob) => copy_blob(blob, item.size, &mut zip, &mut buf)?,
            None if item.size == 0 => {}
            None => return Err(io::Error::other(format!("no blob for {}", item.path))),
        }
    }
    zip.finish()?;
    Ok(())
}

/// Copies exactly `size` bytes of `path` into the current entry.
fn copy_blob(path: &Path, size: u64, out: &mut impl Write, buf: &mut [u8]) -> io::Result<()> {
    let mut file = File::open(path)?;
    let actual = file.metadata()?.len();
    if actual != size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "blob {} holds {actual} bytes, {size} expected",
                path.display()
            ),
        ));
    }
    let mut left = size;
    while left > 0 {
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Entry options: STORED, both timestamps, ZIP64 when the entry itself needs it.
fn options(modified: i64, size: u64) -> FullFileOptions<'static> {
    let mut options = FullFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(dos_time(modified))
        .large_file(size >= zip::ZIP64_BYTES_THR);
    if let Ok(secs) = i32::try_from(modified) {
        let mut field = [1u8, 0, 0, 0, 0]; // flags: mtime present
        field[1..].copy_from_slice(&secs.to_le_bytes());
        if let Err(e) = options.add_extra_data(EXTENDED_TIMESTAMP, field, false) {
            tracing::debug!("zip: no extended timestamp: {e}");
        }
    }
    options
}

/// Unix seconds as a DOS timestamp in local wall time; 1980-01-01 when out of DOS range.
fn dos_time(secs: i64) -> DateTime {
    use chrono::{Datelike, TimeZone, Timelike};
    let to_dos = |t: chrono::DateTime<chrono::Local>| {
        let year = u16::try_from(t.year()).ok()?;
        let [month, day, hour, minute, second] =
            [t.month(), t.day(), t.hour(), t.minute(), t.second()]
                .map(|v| u8::try_from(v).unwrap_or(0));
        DateTime::from_date_and_time(year, month, day, hour, minute, second).ok()
    };
    chrono::Local
        .timestamp_opt(secs, 0)
        .earliest()
        .and_then(to_dos)
        .unwrap_or_default()
}

/// The name an item is archived under, never one that escapes the extraction folder (zip-slip):
/// empty, `.` and `..` segments are dropped (so no leading '/'), and a '\' (a separator to
/// Windows extractors) becomes '_'. `None` when nothing is left.
fn sanitize(path: &str) -> Option<String> {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !matches!(*s, "" | "." | ".."))
        .map(|s| s.replace(['\\', '\0'], "_"))
        .collect();
    if segments.is_empty() {
        return None;
    }
    let mut name = segments.join("/");
    if path.ends_with('/') {
        name.push('/');
    }
    Some(name)
}

/// Cuts the archive into [`CHUNK`]-byte frames and blocks while the channel is full.
struct Sink<'a> {
    buf: BytesMut,
    tx: &'a mpsc::Sender<Msg>,
}

impl Sink<'_> {
    /// Sends what is buffered; fails once the client has gone away.
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let frame = self.buf.split().freeze();
        self.tx
            .blocking_send(Ok(Some(frame)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.is_empty() {
            self.buf.reserve(CHUNK);
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    /// A no-op: frames go out when full, and the last one when the archive is finished.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
