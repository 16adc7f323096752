//! Moving a request body to disk: `pump` reads 1 MiB chunks from the network while the
//! previous chunk is written and hashed on the blocking pool.

use std::io::{self, Write};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::direct::{AlignedBuf, DirectFile};
use super::StoreError;

pub(super) const CHUNK: usize = 1 << 20;
const HEAD: usize = 8192;

/// Where streamed bytes go: a file and whatever digests follow it.
pub trait ChunkSink: Send + 'static {
    fn take(&mut self, chunk: &[u8]) -> io::Result<()>;
}

/// A file written through a SHA-256.
pub struct HashingFile {
    pub file: DirectFile,
    pub hasher: Sha256,
}

impl HashingFile {
    pub fn new(file: DirectFile) -> Self {
        Self {
            file,
            hasher: Sha256::new(),
        }
    }
}

impl ChunkSink for HashingFile {
    fn take(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk)?;
        self.hasher.update(chunk);
        Ok(())
    }
}

/// What [`pump`] moved, and why it stopped early if it did. The sink comes back even then,
/// so a caller can keep what did arrive.
pub struct Pumped<S> {
    pub sink: S,
    pub bytes: u64,
    /// The first bytes (up to 8 KiB), for sniffing the type.
    pub head: Vec<u8>,
    pub error: Option<StoreError>,
}

/// A chunk handed to the blocking pool, and what came back.
struct Landed<S> {
    sink: S,
    buffer: AlignedBuf,
    len: usize,
    written: io::Result<()>,
}

/// Streams `reader` into `sink` one 1 MiB chunk at a time (every chunk but the last is
/// exactly 1 MiB and page-aligned, as direct I/O wants). Two buffers alternate: while one
/// chunk is written and hashed on the blocking pool, the next is read from the network.
/// A chunk that would pass `limit` is not written: the error is `LimitExceeded`.
pub async fn pump<R: AsyncRead + Unpin, S: ChunkSink>(
    reader: &mut R,
    sink: S,
    limit: Option<u64>,
) -> Result<Pumped<S>, StoreError> {
    let (mut bytes, mut head, mut error) = (0u64, Vec::new(), None);
    let mut idle_sink = Some(sink);
    let mut next = AlignedBuf::new(CHUNK);
    let mut spare = Some(AlignedBuf::new(CHUNK));
    let mut in_flight: Option<tokio::task::JoinHandle<Landed<S>>> = None;
    loop {
        let read = fill(reader, next.bytes_mut()).await;
        // Land the previous chunk first: the sink must be back before anything else.
        if let Some(flight) = in_flight.take() {
            let landed = flight.await.map_err(io::Error::other)?;
            idle_sink = Some(landed.sink);
            spare = Some(landed.buffer);
            if let Err(failed) = landed.written {
                error = Some(failed.into());
                break;
            }
            bytes += landed.len as u64;
        }
        let filled = match read {
            Ok(0) => break,
            Ok(filled) => filled,
            Err(failed) => {
                error = Some(StoreError::Interrupted(failed));
                break;
            }
        };
        if let Some(limit) = limit.filter(|limit| bytes + filled as u64 > *limit) {
            error = Some(StoreError::LimitExceeded { limit });
            break;
        }
        if head.is_empty() {
            head = next.bytes()[..filled.min(HEAD)].to_vec();
        }
        let mut sink = idle_sink
            .take()
            .ok_or_else(|| io::Error::other("sink lost"))?;
        let fresh = spare.take().unwrap_or_else(|| AlignedBuf::new(CHUNK));
        let buffer = std::mem::replace(&mut next, fresh);
        in_flight = Some(tokio::task::spawn_blocking(move || {
            let written = sink.take(&buffer.bytes()[..filled]);
            Landed {
                sink,
                buffer,
                len: filled,
                written,
            }
        }));
    }
    Ok(Pumped {
        sink: idle_sink.ok_or_else(|| io::Error::other("sink lost"))?,
        bytes,
        head,
        error,
    })
}

/// Reads until the buffer is full or the stream ends.
async fn fill<R: AsyncRead + Unpin>(reader: &mut R, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let n = reader.read(&mut buffer[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
