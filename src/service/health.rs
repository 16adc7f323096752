//! The instance's health (SPEC §3): a real database query and a real write in the data
//! directory, never a cached answer.

use std::sync::Arc;
use std::time::Instant;

use crate::db::Db;
use crate::store::data_dir::{free_bytes, DataDir};
use crate::store::s3::S3Blobs;

pub struct Health {
    db: Db,
    data_dir: DataDir,
    /// The object store holding the blobs, when `storage.backend = "s3"`.
    objects: Option<Arc<S3Blobs>>,
    started: Instant,
}

/// What `GET /health` reports.
#[derive(Debug, Clone)]
pub struct HealthReport {
    pub database_ok: bool,
    /// Free bytes of the data filesystem; `None` when the data directory is not writable.
    pub free_bytes: Option<u64>,
    /// Whether the object store holding the blobs answered; None without one.
    pub objects_ok: Option<bool>,
    pub uptime_s: u64,
}

impl HealthReport {
    pub fn healthy(&self) -> bool {
        self.database_ok && self.free_bytes.is_some() && self.objects_ok != Some(false)
    }
}

impl Health {
    pub fn new(db: Db, data_dir: DataDir, objects: Option<Arc<S3Blobs>>) -> Self {
        Self {
            db,
            data_dir,
            objects,
            started: Instant::now(),
        }
    }

    pub async fn check(&self) -> HealthReport {
        let database_ok = self.db.run(crate::db::ping).await.is_ok();
        let dir = self.data_dir.clone();
        let storage = tokio::task::spawn_blocking(move || {
            dir.probe_writable().and_then(|_| free_bytes(&dir.root))
        })
        .await;
        let objects_ok = match &self.objects {
            Some(objects) => Some(objects.ping().await.is_ok()),
            None => None,
        };
        HealthReport {
            database_ok,
            free_bytes: storage.ok().and_then(Result::ok),
            objects_ok,
            uptime_s: self.started.elapsed().as_secs(),
        }
    }
}
