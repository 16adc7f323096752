//! The S3-compatible side of the blob store (SPEC §14), over `object_store`'s `aws` client:
//! streaming multipart uploads that hash as they send, ranged reads, listing, deletion.
//!
//! Keys. An upload cannot know its SHA-256 before its last byte, and copying a finished
//! object to a key named by its hash would send large files through the store twice. So an
//! object is written once under `<prefix>objects/<random id>`, and the database's blob row
//! maps the hash to that key. A second upload of known content is written, found to be a
//! duplicate at commit, and deleted: the bytes went over the wire, but the bucket keeps one
//! copy and the reference counts work as on disk.
//!
//! Failures. Every request is bounded (connect and request timeouts) and retried by the
//! client's own retry layer with backoff, a few times within a bounded total; what still
//! fails is [`S3Error::Unavailable`] (503 `unavailable` upstream), except a key that is
//! not there ([`S3Error::NotFound`]) and refused credentials ([`S3Error::Denied`]).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectStore, PutPayload, RetryConfig,
    WriteMultipart,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

mod unfinished;

pub use unfinished::{percent, Unfinished};

use crate::blob::Chunks;
use crate::ids::BlobId;

/// Parts of a multipart upload (S3's minimum is 5 MiB for all but the last).
const PART: usize = 8 * 1024 * 1024;
/// Parts in flight at once: memory per upload stays under `PART × (PARALLEL + 1)` (the parts
/// being sent, and the one being read).
const PARALLEL: usize = 2;
/// Bodies up to this size go in one PUT.
const SINGLE_PUT: usize = PART;

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("object not found")]
    NotFound,
    /// The store refused the credentials (401/403): a configuration error, not an outage.
    #[error("the object store refused the credentials: {0}")]
    Denied(String),
    #[error("the object store is unavailable: {0}")]
    Unavailable(String),
    /// Reading the request body failed or passed its limit.
    #[error("{0}")]
    Source(std::io::Error),
}

impl From<object_store::Error> for S3Error {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => S3Error::NotFound,
            object_store::Error::PermissionDenied { source, .. }
            | object_store::Error::Unauthenticated { source, .. } => {
                S3Error::Denied(source.to_string())
            }
            other => S3Error::Unavailable(other.to_string()),
        }
    }
}

/// A failed listing in S3's terms. The client reports every refused listing as a generic
/// error (unlike a refused GET or PUT), so the S3 error code in the answer's body, which
/// the error's text carries, says which it was: no such bucket, or refused credentials.
fn listing_error(error: object_store::Error) -> S3Error {
    let text = error.to_string();
    let code = |name: &str| text.contains(&format!("<Code>{name}</Code>"));
    if code("NoSuchBucket") {
        S3Error::NotFound
    } else if [
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    ]
    .into_iter()
    .any(code)
    {
        S3Error::Denied(text)
    } else {
        error.into()
    }
}

/// One object as the bucket lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub size: u64,
    /// Unix seconds.
    pub modified: i64,
}

/// An object written and complete in the store, with the hash and size of its bytes.
#[derive(Debug, Clone)]
pub struct Written {
    pub key: String,
    pub sha256: BlobId,
    pub size: u64,
    pub head: Vec<u8>,
}

/// Where the bucket is and how to sign for it (`storage.s3_*`, SPEC §14).
#[derive(Clone, Default)]
pub struct S3Settings {
    /// `http(s)://host:port`; empty: AWS for `region`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Prepended to every key (e.g. `hoard/`).
    pub prefix: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`.
    pub path_style: bool,
}

impl S3Settings {
    /// The object store's settings from the `[storage]` section's `s3_*` keys.
    pub fn of(storage: &crate::config::StorageConfig) -> Self {
        Self {
            endpoint: storage.s3_endpoint.clone(),
            region: storage.s3_region.clone(),
            bucket: storage.s3_bucket.clone(),
            prefix: storage.s3_prefix.clone(),
            access_key_id: storage.s3_access_key_id.clone(),
            secret_access_key: storage.s3_secret_access_key.clone(),
            path_style: storage.s3_path_style,
        }
    }
}

pub struct S3Blobs {
    store: Arc<AmazonS3>,
    prefix: String,
    /// `https://host/bucket` (path style) or `https://bucket.host`, for the one request
    /// made by hand ([`unfinished`]).
    bucket_url: String,
    region: String,
    http: reqwest::Client,
}

impl S3Blobs {
    /// A client for the configured bucket (no request is made yet).
    pub fn open(config: &S3Settings) -> Result<Self, S3Error> {
        let options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(60))
            .with_allow_http(config.endpoint.starts_with("http://"));
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: 3,
            retry_timeout: Duration::from_secs(20),
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_virtual_hosted_style_request(!config.path_style)
            .with_client_options(options)
            .with_retry(retry);
        if !config.endpoint.is_empty() {
            builder = builder.with_endpoint(&config.endpoint);
        }
        let store = builder.build().map_err(S3Error::from)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| S3Error::Unavailable(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: config.prefix.clone(),
            bucket_url: bucket_url(config),
            region: config.region.clone(),
            http,
        })
    }

    fn key(&self, name: &str) -> Key {
        Key::from(format!("{}{name}", self.prefix))
    }

    /// A fresh key for a new object: `objects/<32 hex digits>`.
    pub fn new_key() -> String {
        let mut id = [0u8; 16];
        rand::rng().fill_bytes(&mut id);
        let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
        format!("objects/{hex}")
    }

    /// Streams `reader` to a new object while hashing it, in one PUT when it is small and
    /// in parts otherwise; fails (and aborts the parts) past `limit` bytes or on any error.
    /// Returns only once the store has the whole object.
    pub async fn upload<R: AsyncRead + Unpin>(
        &self,
        reader: R,
        limit: Option<u64>,
    ) -> Result<Written, S3Error> {
        self.upload_as(&Self::new_key(), reader, limit).await
    }

    /// [`S3Blobs::upload`] under a key chosen by the caller ([`S3Blobs::new_key`]), which
    /// records its intent before the first byte is sent.
    pub async fn upload_as<R: AsyncRead + Unpin>(
        &self,
        name: &str,
        mut reader: R,
        limit: Option<u64>,
    ) -> Result<Written, S3Error> {
        let name = name.to_owned();
        let key = self.key(&name);
        let mut hasher = Sha256::new();
        let mut head = Vec::new();
        let first = read_up_to(&mut reader, SINGLE_PUT + 1, limit).await?;
        hasher.update(&first);
        head.extend_from_slice(&first[..first.len().min(8192)]);
        if first.len() <= SINGLE_PUT {
            let size = first.len() as u64;
            self.store.put(&key, PutPayload::from(first)).await?;
            let sha256 = BlobId::from_digest(&hasher.finalize().into());
            return Ok(Written {
                key: name,
                sha256,
                size,
                head,
            });
        }
        let upload = self.store.put_multipart(&key).await?;
        let mut parts = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut size = first.len() as u64;
        // Buffers are handed to the parts, never copied (`put`, not `write`): the first read
        // went one byte past a part, so that part goes as read, the byte starts the next,
        // and every later read completes a part exactly, each in a buffer of its own.
        // Copying cost 0.8 s of CPU and 8 MiB of peak RSS per GiB (bench/RESULTS.md, S3).
        let first = Bytes::from(first);
        parts.put(first.slice(..PART));
        parts.write(&first[PART..]);
        let mut want = PART - (first.len() - PART);
        drop(first);
        let sent = async {
            loop {
                parts.wait_for_capacity(PARALLEL).await?;
                let chunk = read_part(&mut reader, want).await?;
                want = PART;
                if chunk.is_empty() {
                    return Ok::<_, S3Error>(());
                }
                size += chunk.len() as u64;
                if limit.is_some_and(|l| size > l) {
                    return Err(S3Error::Source(limit_error(limit)));
                }
                hasher.update(&chunk);
                parts.put(Bytes::from(chunk));
            }
        }
        .await;
        match sent {
            Ok(()) => {
                parts.finish().await?;
                let sha256 = BlobId::from_digest(&hasher.finalize().into());
                Ok(Written {
                    key: name,
                    sha256,
                    size,
                    head,
                })
            }
            Err(error) => {
                let _ = parts.abort().await;
                Err(error)
            }
        }
    }

    /// The bytes of `range` of an object, as a stream of chunks.
    pub async fn read(&self, name: &str, range: Range<u64>) -> Result<Chunks, S3Error> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..Default::default()
        };
        let got = self.store.get_opts(&self.key(name), options).await?;
        Ok(got
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed())
    }

    /// The whole object, for re-hashing or copying (streamed, never held in memory).
    pub async fn read_all(&self, name: &str) -> Result<Chunks, S3Error> {
        let got = self.store.get(&self.key(name)).await?;
        Ok(got
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed())
    }

    /// Deletes an object; one that is already gone is no error.
    pub async fn remove(&self, name: &str) -> Result<(), S3Error> {
        match self.store.delete(&self.key(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// Every object under `objects/`, with its size and time.
    pub async fn list(&self) -> Result<Vec<Listed>, S3Error> {
        let prefix = self.key("objects/");
        let mut listed = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta.map_err(listing_error)?;
            let full = meta.location.to_string();
            let key = full.strip_prefix(&self.prefix).unwrap_or(&full).to_owned();
            out.push(Listed {
                key,
                size: meta.size,
                modified: meta.last_modified.timestamp(),
            });
        }
        Ok(out)
    }

    /// A cheap request that succeeds only when the bucket answers (health).
    pub async fn ping(&self) -> Result<(), S3Error> {
        let prefix = self.key("objects/");
        let mut listed = self.store.list(Some(&prefix));
        match listed.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(error)) => Err(listing_error(error)),
        }
    }
}

/// The bucket's URL in the configured style (AWS's own endpoint when none is set).
fn bucket_url(config: &S3Settings) -> String {
    let endpoint = match config.endpoint.trim_end_matches('/') {
        "" => format!("https://s3.{}.amazonaws.com", config.region),
        set => set.to_owned(),
    };
    if config.path_style {
        return format!("{endpoint}/{}", config.bucket);
    }
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{}.{host}", config.bucket),
        None => format!("{}.{endpoint}", config.bucket),
    }
}

/// Reads until `want` bytes or the end; an error once more than `limit` bytes arrived.
async fn read_up_to<R: AsyncRead + Unpin>(
    reader: &mut R,
    want: usize,
    limit: Option<u64>,
) -> Result<Vec<u8>, S3Error> {
    let mut buf = Vec::with_capacity(want.min(1 << 20));
    let mut taken = (&mut *reader).take(want as u64);
    taken.read_to_end(&mut buf).await.map_err(S3Error::Source)?;
    if limit.is_some_and(|l| buf.len() as u64 > l) {
        return Err(S3Error::Source(limit_error(limit)));
    }
    Ok(buf)
}

/// Reads until `want` bytes or the end, into a buffer of exactly `want` bytes' capacity
/// (never grown, so never copied or zeroed first).
async fn read_part<R: AsyncRead + Unpin>(reader: &mut R, want: usize) -> Result<Vec<u8>, S3Error> {
    let mut buf = Vec::with_capacity(want);
    while buf.len() < want {
        if reader.read_buf(&mut buf).await.map_err(S3Error::Source)? == 0 {
            break;
        }
    }
    Ok(buf)
}

fn limit_error(limit: Option<u64>) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!("more than {} bytes", limit.unwrap_or_default()),
    )
}
