//! Reading a blob for a response: opened and size-checked on the request's thread, then
//! streamed in `CHUNK` `pread`s by a producer thread, or read inline when small and cached.

use std::io;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use poem::Body;
use tokio::sync::mpsc;

use crate::blob::OpenBlob;

/// Bytes per disk read and per body frame.
const CHUNK: usize = 256 << 10;
/// Single-segment bodies up to this size are tried from the page cache inline.
const INLINE_MAX: u64 = 256 << 10;

/// The blob, checked against the size the DB promises. Opened on the request's thread:
/// an open and an fstat of a hashed path are metadata lookups, cheaper than a thread hop.
pub(super) fn open_checked(path: &Path, size: u64) -> io::Result<Arc<OpenBlob>> {
    let blob = OpenBlob::open(path)?;
    checked(Arc::new(blob), size).map_err(|e| {
        let msg = format!("blob {}: {e}", path.display());
        io::Error::new(e.kind(), msg)
    })
}

/// An open blob, if it holds at least the `size` bytes the DB promises.
pub(super) fn checked(blob: Arc<OpenBlob>, size: u64) -> io::Result<Arc<OpenBlob>> {
    if blob.len < size {
        let msg = format!("blob has {} of {size} bytes", blob.len);
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
    }
    Ok(blob)
}

/// The body for `plan`: one small segment straight from the page cache when it is all
/// there, otherwise streamed by a producer thread.
pub(super) fn body_of(blob: Arc<OpenBlob>, plan: Vec<Segment>) -> Body {
    if let [Segment::File(start, len)] = plan[..] {
        if len <= INLINE_MAX {
            if let Some(bytes) = read_cached(&blob.file, len as usize, start) {
                return Body::from_bytes(bytes);
            }
        }
    }
    let remaining = super::length(&plan);
    crate::http::body::produced(remaining, move |tx| pump(&blob.file, plan, &tx))
}

/// `want` bytes at `offset` if the page cache holds all of them (`RWF_NOWAIT` never waits
/// for the disk); `None` sends the caller to the producer thread.
fn read_cached(file: &std::fs::File, want: usize, offset: u64) -> Option<Bytes> {
    use rustix::io::{preadv2, ReadWriteFlags};
    let mut buf = vec![0u8; want];
    let mut done = 0;
    while done < want {
        let mut slices = [std::io::IoSliceMut::new(&mut buf[done..])];
        match preadv2(
            file,
            &mut slices,
            offset + done as u64,
            ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) | Err(_) => return None,
            Ok(n) => done += n,
        }
    }
    Some(Bytes::from(buf))
}

/// One piece of a response body: literal bytes, or `len` bytes of the file from `start`.
pub enum Segment {
    Mem(Bytes),
    File(u64, u64),
}

/// The reader thread: sends the plan's bytes in order, each file read a fresh `CHUNK` buffer
/// filled by `pread` (no zeroing, no copy). Stops quietly when the receiver is gone.
fn pump(file: &std::fs::File, plan: Vec<Segment>, tx: &mpsc::Sender<io::Result<Bytes>>) {
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::Sequential);
    for seg in plan {
        let (start, end) = match seg {
            Segment::File(start, len) => (start, start + len),
            Segment::Mem(b) => match tx.blocking_send(Ok(b)) {
                Ok(()) => continue,
                Err(_) => return,
            },
        };
        let mut at = start;
        while at < end {
            let want = (end - at).min(CHUNK as u64) as usize;
            let chunk = read_at(file, want, at);
            at += want as u64;
            let failed = chunk.is_err();
            if tx.blocking_send(chunk).is_err() || failed {
                return;
            }
        }
    }
}

/// Exactly `want` bytes from `offset`, read into the spare capacity of a new buffer.
fn read_at(file: &std::fs::File, want: usize, offset: u64) -> io::Result<Bytes> {
    let mut buf = Vec::with_capacity(want);
    while buf.len() < want {
        let at = offset + buf.len() as u64;
        match rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), at) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Bytes::from(buf))
}
