//! `/admin/*`: instance statistics and the cache.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::security::AdminCaller;
use super::respond::failure::{AdminErrors, AdminWriteErrors, ApiResult};
use super::respond::models::time;
use super::{ApiTags, NoContent};
use crate::error::ApiError;
use crate::service::accounts::Accounts;
use crate::service::cache::{Caches, KvEntry};

pub(crate) const MAX_TTL_S: u64 = 30 * 86_400;
/// The longest diagnostic key, in characters.
pub(crate) const MAX_KEY_CHARS: usize = 256;

/// Instance figures.
#[derive(Debug, Object)]
pub struct Stats {
    pub users: i64,
    pub active_users: i64,
    pub files: i64,
    pub folders: i64,
    /// Sum of all files' sizes, trash included (copies counted in full; versions not).
    pub bytes_logical: i64,
    /// Bytes actually stored in the blob store (current contents and versions).
    pub bytes_stored: i64,
    /// `bytes_logical + bytes_in_versions - bytes_stored`: what deduplication saves.
    pub bytes_saved_by_dedup: i64,
    /// Earlier contents kept (SPEC §13).
    pub versions: i64,
    /// Sum of the versions' sizes (they count toward their owners' `storage_used`).
    pub bytes_in_versions: i64,
    /// Free space on the data directory's filesystem.
    pub free_disk_bytes: u64,
}

/// Cache counters.
#[derive(Debug, Object)]
pub struct CacheStats {
    /// Entries held now, over all caches.
    pub entries: u64,
    /// Lookups answered from a cache since start.
    pub hits: u64,
    /// Lookups that went to the database since start.
    pub misses: u64,
}

/// A diagnostic key/value entry.
#[derive(Debug, Object)]
pub struct KvValue {
    pub key: String,
    /// Any JSON value; absent is `null`.
    #[oai(default)]
    pub value: serde_json::Value,
    /// Lifetime in seconds from the last `PUT`.
    pub ttl_s: u64,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct KvPutRequest {
    /// Any JSON value; absent is `null`.
    #[oai(default)]
    pub value: serde_json::Value,
    /// Lifetime in seconds, 1 to 2592000 (30 days); default 3600.
    pub ttl_s: Option<u64>,
}

pub struct AdminApi {
    pub accounts: Arc<Accounts>,
    pub caches: Arc<Caches>,
    pub data_dir: PathBuf,
}

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// Users, files and storage figures of the instance.
    #[oai(path = "/admin/stats", method = "get", operation_id = "admin_stats")]
    async fn stats(&self, _admin: AdminCaller) -> ApiResult<Json<Stats>, AdminErrors> {
        let s = self.accounts.stats(&self.data_dir).await?;
        Ok(Json(Stats {
            users: s.users,
            active_users: s.active_users,
            files: s.files,
            folders: s.folders,
            bytes_logical: s.bytes_logical,
            bytes_stored: s.bytes_stored,
            bytes_saved_by_dedup: s.bytes_saved_by_dedup,
            versions: s.versions,
            bytes_in_versions: s.bytes_in_versions,
            free_disk_bytes: s.free_disk_bytes,
        }))
    }

    /// Entries, hits and misses of the in-process caches.
    #[oai(path = "/admin/cache", method = "get", operation_id = "cache_stats")]
    async fn cache_stats(&self, _admin: AdminCaller) -> ApiResult<Json<CacheStats>, AdminErrors> {
        let report = self.caches.report();
        Ok(Json(CacheStats {
            entries: report.entries,
            hits: report.hits,
            misses: report.misses,
        }))
    }

    /// Empty every cache (the diagnostic namespace too). Always safe: caches only hold
    /// copies of what the database says.
    #[oai(path = "/admin/cache", method = "delete", operation_id = "flush_cache")]
    async fn flush_cache(&self, _admin: AdminCaller) -> ApiResult<NoContent, AdminErrors> {
        self.caches.flush();
        Ok(NoContent::Done)
    }

    /// Read a diagnostic key (404 when missing or expired).
    #[oai(
        path = "/admin/cache/kv/:key",
        method = "get",
        operation_id = "cache_kv_get"
    )]
    async fn kv_get(
        &self,
        _admin: AdminCaller,
        key: Path<String>,
    ) -> ApiResult<Json<KvValue>, AdminErrors> {
        let entry = self.caches.kv_get(&key.0).ok_or_else(ApiError::not_found)?;
        Ok(Json(kv_value(key.0, entry)))
    }

    /// Store a diagnostic key with a lifetime: 201 for a new key (or one that had
    /// expired), 200 when a live value is replaced.
    #[oai(
        path = "/admin/cache/kv/:key",
        method = "put",
        operation_id = "cache_kv_put"
    )]
    async fn kv_put(
        &self,
        _admin: AdminCaller,
        key: Path<String>,
        body: Json<KvPutRequest>,
    ) -> ApiResult<KvStored, AdminWriteErrors> {
        let ttl_s = body.ttl_s.unwrap_or(3600);
        if !(1..=MAX_TTL_S).contains(&ttl_s) {
            return Err(crate::service::AccountError::field(
                "ttl_s",
                format!("must be 1 to {MAX_TTL_S}"),
            )
            .into());
        }
        if key.0.is_empty() || key.0.chars().count() > MAX_KEY_CHARS {
            return Err(crate::service::AccountError::field("key", "1 to 256 characters").into());
        }
        let entry = KvEntry {
            value: body.0.value,
            ttl_s,
            expires_at: crate::service::now() + ttl_s as i64,
        };
        let created = self.caches.kv_put(key.0.clone(), entry.clone());
        let value = Json(kv_value(key.0, entry));
        Ok(match created {
            true => KvStored::Created(value),
            false => KvStored::Replaced(value),
        })
    }

    /// Delete a diagnostic key.
    #[oai(
        path = "/admin/cache/kv/:key",
        method = "delete",
        operation_id = "cache_kv_delete"
    )]
    async fn kv_delete(
        &self,
        _admin: AdminCaller,
        key: Path<String>,
    ) -> ApiResult<NoContent, AdminErrors> {
        if self.caches.kv_delete(&key.0) {
            Ok(NoContent::Done)
        } else {
            Err(ApiError::not_found().into())
        }
    }
}

/// A stored diagnostic key (SPEC §2: a create is 201, a replacement 200).
#[derive(ApiResponse)]
pub enum KvStored {
    /// A new key.
    #[oai(status = 201)]
    Created(Json<KvValue>),
    /// A live value was replaced.
    #[oai(status = 200)]
    Replaced(Json<KvValue>),
}

fn kv_value(key: String, entry: KvEntry) -> KvValue {
    KvValue {
        key,
        value: entry.value,
        ttl_s: entry.ttl_s,
        expires_at: time(entry.expires_at),
    }
}
