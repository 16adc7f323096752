//! Moving a request body to disk: `pump` reads 1 MiB chunks from the network while the
//! previous chunk is written and, at the same time, hashed on the blocking pool.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::{spawn_blocking, JoinHandle};

use super::direct::{AlignedBuf, DirectFile};
use super::StoreError;

pub(super) const CHUNK: usize = 1 << 20;
const HEAD: usize = 8192;
/// Chunk buffers kept between requests (at most `SPARES`, 1 MiB each): a tus upload's
/// PATCHes and a burst of small uploads reuse warm memory instead of mapping two fresh
/// megabytes per request (1 MiB buffers get their own mapping, `src/main.rs`) and
/// faulting in whatever they fill.
const SPARES: usize = 4;
static SPARE: Mutex<Vec<AlignedBuf>> = Mutex::new(Vec::new());

fn take_buffer() -> AlignedBuf {
    let spare = SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .pop();
    spare.unwrap_or_else(|| AlignedBuf::new(CHUNK))
}

fn give_back(buffers: impl IntoIterator<Item = AlignedBuf>) {
    let mut spare = SPARE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for buffer in buffers {
        if spare.len() < SPARES {
            spare.push(buffer);
        }
    }
}

/// The digests that follow a streamed file (a whole-file SHA-256, perhaps a per-request
/// checksum). Cloned once per chunk so a chunk the disk refused can be taken back out.
pub trait Digests: Clone + Send + 'static {
    fn feed(&mut self, chunk: &[u8]);
}

impl Digests for Sha256 {
    fn feed(&mut self, chunk: &[u8]) {
        self.update(chunk);
    }
}

/// Where streamed bytes go: a file, and the digests of what it holds.
pub struct Sink<D> {
    pub file: DirectFile,
    pub digests: D,
}

impl<D> Sink<D> {
    pub fn new(file: DirectFile, digests: D) -> Self {
        Self { file, digests }
    }
}

/// What [`pump`] moved, and why it stopped early if it did. The sink comes back even then,
/// so a caller can keep what did arrive: its file and digests cover exactly `bytes`.
pub struct Pumped<D> {
    pub sink: Sink<D>,
    pub bytes: u64,
    /// The first bytes (up to 8 KiB), for sniffing the type.
    pub head: Vec<u8>,
    pub error: Option<StoreError>,
}

/// One chunk out on the blocking pool: the write and the hashing run on two threads, so
/// the CPU hashes while the disk writes (on one core, that is the whole upload's speed).
struct Flight<D> {
    written: JoinHandle<(DirectFile, io::Result<()>)>,
    hashed: JoinHandle<D>,
    /// The digests without this chunk, kept in case the write fails.
    before: D,
    buffer: Arc<AlignedBuf>,
    len: usize,
}

impl<D: Digests> Flight<D> {
    fn launch(sink: Sink<D>, buffer: AlignedBuf, len: usize) -> Self {
        let Sink { mut file, digests } = sink;
        let buffer = Arc::new(buffer);
        let before = digests.clone();
        let to_write = buffer.clone();
        let written = spawn_blocking(move || {
            let result = file.write_all(&to_write.bytes()[..len]);
            (file, result)
        });
        let to_hash = buffer.clone();
        let hashed = spawn_blocking(move || {
            let mut digests = digests;
            digests.feed(&to_hash.bytes()[..len]);
            digests
        });
        Self {
            written,
            hashed,
            before,
            buffer,
            len,
        }
    }

    /// Waits for both halves: the sink back (digests without the chunk if the write
    /// failed), the buffer for reuse when no one else holds it, and the write's outcome.
    async fn land(self) -> io::Result<(Sink<D>, Option<AlignedBuf>, io::Result<()>)> {
        let (file, result) = self.written.await.map_err(io::Error::other)?;
        let hashed = self.hashed.await.map_err(io::Error::other)?;
        let digests = if result.is_ok() { hashed } else { self.before };
        let buffer = Arc::try_unwrap(self.buffer).ok();
        Ok((Sink { file, digests }, buffer, result))
    }
}

/// Streams `reader` into `sink` one 1 MiB chunk at a time (every chunk but the last is
/// exactly 1 MiB and page-aligned, as direct I/O wants). Two buffers alternate: while one
/// chunk is written and hashed on the blocking pool, the next is read from the network.
/// A chunk that would pass `limit` is not written: the error is `LimitExceeded`.
pub async fn pump<R: AsyncRead + Unpin, D: Digests>(
    reader: &mut R,
    sink: Sink<D>,
    limit: Option<u64>,
) -> Result<Pumped<D>, StoreError> {
    let (mut bytes, mut head, mut error) = (0u64, Vec::new(), None);
    let mut idle_sink = Some(sink);
    let mut next = take_buffer();
    let mut spare = Some(take_buffer());
    let mut in_flight: Option<Flight<D>> = None;
    loop {
        let read = fill(reader, next.bytes_mut()).await;
        // Land the previous chunk first: the sink must be back before anything else.
        if let Some(flight) = in_flight.take() {
            let len = flight.len;
            let (sink, buffer, written) = flight.land().await?;
            idle_sink = Some(sink);
            spare = buffer;
            if let Err(failed) = written {
                error = Some(failed.into());
                break;
            }
            bytes += len as u64;
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
        let sink = idle_sink
            .take()
            .ok_or_else(|| io::Error::other("sink lost"))?;
        let fresh = spare.take().unwrap_or_else(take_buffer);
        let buffer = std::mem::replace(&mut next, fresh);
        in_flight = Some(Flight::launch(sink, buffer, filled));
    }
    give_back([next].into_iter().chain(spare));
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn pump_into(path: &std::path::Path, body: &[u8]) -> Result<Vec<u8>, StoreError> {
        let sink = Sink::new(DirectFile::create(path)?, Sha256::new());
        let pumped = pump(&mut &body[..], sink, None).await?;
        assert!(pumped.error.is_none());
        assert_eq!(pumped.bytes, body.len() as u64);
        pumped.sink.file.finish()?;
        assert_eq!(pumped.sink.digests.finalize(), Sha256::digest(body));
        Ok(std::fs::read(path)?)
    }

    #[tokio::test]
    async fn a_recycled_buffer_never_lends_an_earlier_upload_its_bytes() -> Result<(), StoreError> {
        let dir = tempfile::tempdir()?;
        let first = vec![0xAA; 3 * CHUNK + CHUNK / 2];
        assert!(pump_into(&dir.path().join("a"), &first).await? == first);
        // Short bodies land in buffers the first upload filled: only their own bytes count.
        for len in [100, CHUNK - 1, CHUNK + 7] {
            let body = vec![0x55; len];
            let stored = pump_into(&dir.path().join(format!("b{len}")), &body).await?;
            assert!(stored == body, "{len} bytes came back as {}", stored.len());
        }
        Ok(())
    }
}
