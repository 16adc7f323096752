//! Where a blob's bytes are, in terms every layer may use: a file on this machine, or
//! something read by byte ranges from elsewhere (an object store, SPEC §14). The store
//! says which ([`crate::store::BlobStore::source`]); the transport serves either the same
//! way ([`crate::http::byte_serving`], [`crate::http::zipstream`]).

use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

/// A body's bytes as they arrive.
pub type Chunks = BoxStream<'static, io::Result<Bytes>>;

/// A stored blob read by byte ranges (`start..end`, end exclusive).
pub trait RangeRead: Send + Sync {
    fn read(&self, range: Range<u64>) -> BoxFuture<'static, io::Result<Chunks>>;
}

/// Where one blob's bytes are.
#[derive(Clone)]
pub enum BlobAt {
    File(PathBuf),
    /// A blob file already open, shared by the requests that serve it (the store's
    /// open-file cache), with its length as `fstat` gave it.
    Open(Arc<OpenBlob>),
    Remote(Arc<dyn RangeRead>),
}

/// An open blob file. Blobs never change once placed, so one descriptor serves every
/// request for the same content until the cache lets it go.
#[derive(Debug)]
pub struct OpenBlob {
    pub file: std::fs::File,
    pub len: u64,
}

impl OpenBlob {
    /// The blob file at `path`, opened, with its length; anything but a regular file is
    /// refused.
    pub fn open(path: &std::path::Path) -> io::Result<Self> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            let msg = "blob is not a regular file";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        }
        Ok(Self {
            file,
            len: meta.len(),
        })
    }
}

impl std::fmt::Debug for BlobAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Open(blob) => f.debug_tuple("Open").field(&blob.len).finish(),
            Self::Remote(_) => f.write_str("Remote"),
        }
    }
}

/// A [`RangeRead`] whose store did not answer or refused (SPEC §14), carried inside its
/// `io::Error` so that a download is answered 503 `unavailable`, not 500.
#[derive(Debug, thiserror::Error)]
#[error("the object store is unavailable: {0}")]
pub struct StoreUnavailable(pub String);

impl StoreUnavailable {
    pub fn io(why: impl Into<String>) -> io::Error {
        io::Error::other(Self(why.into()))
    }

    /// Whether `error` says that a blob's store is unavailable.
    pub fn is(error: &io::Error) -> bool {
        error.get_ref().is_some_and(|inner| inner.is::<Self>())
    }
}
