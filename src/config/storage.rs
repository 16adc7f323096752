//! `[storage]`: the data directory, the trash and upload lifetimes, and where blobs live
//! (SPEC §14): `backend = "local"` (`<data_dir>/blobs`) or `"s3"`, any S3-compatible object
//! store, configured by flat `s3_*` keys (so `HOARD_STORAGE_S3_ENDPOINT` and so on).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, REDACTED};

/// Where blob contents are kept. Metadata (SQLite), `tmp/` and `thumbs/` always stay in the
/// data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Local,
    S3,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Data directory: database, blobs (local backend), temp files, thumbnails and the
    /// generated JWT secret.
    pub data_dir: PathBuf,
    /// Days an item stays in the trash before it is purged.
    pub trash_days: u32,
    /// Seconds an unfinished resumable upload lives after its last byte arrived.
    pub upload_expiry_s: u64,
    /// `local` or `s3`.
    pub backend: Backend,
    /// The object store's URL, e.g. `https://s3.eu-central-1.amazonaws.com` or
    /// `http://127.0.0.1:8333` (empty: AWS for `s3_region`).
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_bucket: String,
    /// A key prefix inside the bucket (e.g. `hoard/`), so one bucket can hold more.
    pub s3_prefix: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// Path-style URLs (`endpoint/bucket/key`), which most self-hosted stores need;
    /// false: virtual-hosted style (`bucket.endpoint/key`).
    pub s3_path_style: bool,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            trash_days: 30,
            upload_expiry_s: 24 * 3600,
            backend: Backend::Local,
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_bucket: String::new(),
            s3_prefix: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_path_style: true,
        }
    }
}

impl StorageConfig {
    /// The same with the secret key shown as [`REDACTED`].
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        if !shown.s3_secret_access_key.is_empty() {
            shown.s3_secret_access_key = REDACTED.into();
        }
        shown
    }

    /// With `backend = "s3"`, the keys it cannot work without, and an endpoint that is a
    /// URL; every error names its key.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::key("storage.data_dir", "must not be empty"));
        }
        if self.backend != Backend::S3 {
            return Ok(());
        }
        self.require_s3()
    }

    /// The object store's keys as `backend = "s3"` needs them, whatever the backend: for
    /// commands that reach the bucket while blobs are still local (or local again) —
    /// `hoard migrate-blobs`, and `hoard check` while rows name objects.
    pub fn require_s3(&self) -> Result<(), ConfigError> {
        let required = [
            ("storage.s3_bucket", &self.s3_bucket),
            ("storage.s3_region", &self.s3_region),
            ("storage.s3_access_key_id", &self.s3_access_key_id),
            ("storage.s3_secret_access_key", &self.s3_secret_access_key),
        ];
        if let Some((key, _)) = required.iter().find(|(_, value)| value.trim().is_empty()) {
            return Err(ConfigError::key(
                key,
                "is required with storage.backend = \"s3\"",
            ));
        }
        let endpoint = &self.s3_endpoint;
        let url = endpoint.starts_with("http://") || endpoint.starts_with("https://");
        if !(endpoint.is_empty() || url) {
            return Err(ConfigError::key(
                "storage.s3_endpoint",
                format!("{endpoint:?} is not an http:// or https:// URL"),
            ));
        }
        if self.s3_prefix.starts_with('/') || self.s3_prefix.contains("..") {
            return Err(ConfigError::key(
                "storage.s3_prefix",
                "must be a relative key prefix without `..`",
            ));
        }
        Ok(())
    }
}

/// By hand, so that the secret key never reaches a log (destructured: a new field cannot
/// be left out).
impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let StorageConfig {
            data_dir,
            trash_days,
            upload_expiry_s,
            backend,
            s3_endpoint,
            s3_region,
            s3_bucket,
            s3_prefix,
            s3_access_key_id,
            s3_secret_access_key,
            s3_path_style,
        } = self;
        let secret = if s3_secret_access_key.is_empty() {
            ""
        } else {
            REDACTED
        };
        f.debug_struct("StorageConfig")
            .field("data_dir", data_dir)
            .field("trash_days", trash_days)
            .field("upload_expiry_s", upload_expiry_s)
            .field("backend", backend)
            .field("s3_endpoint", s3_endpoint)
            .field("s3_region", s3_region)
            .field("s3_bucket", s3_bucket)
            .field("s3_prefix", s3_prefix)
            .field("s3_access_key_id", s3_access_key_id)
            .field("s3_secret_access_key", &secret)
            .field("s3_path_style", s3_path_style)
            .finish()
    }
}
