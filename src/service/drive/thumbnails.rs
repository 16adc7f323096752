//! Thumbnails of raster images: which files get one is decided here (SPEC §5); the cached
//! JPEGs themselves live in the blob store, one per blob and size.

use std::path::PathBuf;

use super::{Drive, DriveError, DriveResult};
use crate::db::entries::EntryRecord;
use crate::service::media;
use crate::store::thumbs::ThumbnailError;

/// A cached thumbnail on disk.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub path: PathBuf,
    pub len: u64,
    /// Distinguishes the thumbnail's validator from its blob's: `<sha256>-<size>`.
    pub tag: String,
}

impl Drive {
    /// The thumbnail of `entry` at `size` pixels (64–1024, checked by the caller), made on
    /// first use off the runtime. Anything but a decodable raster image file is `NotFound`.
    pub async fn thumbnail(&self, entry: &EntryRecord, size: u32) -> DriveResult<Thumbnail> {
        let info = media::describe(&entry.name, entry.mime_type.as_deref());
        let sha256 = match &entry.sha256 {
            Some(sha256) if media::is_thumbnailable(&info) => sha256.clone(),
            _ => return Err(DriveError::NotFound),
        };
        let key = self.object_key(&sha256).await?;
        let path = match self.store.thumbnail(&sha256, key, size).await {
            Ok(path) => path,
            Err(ThumbnailError::NotAnImage) => return Err(DriveError::NotFound),
            Err(ThumbnailError::Io(error)) => return Err(DriveError::Io(error)),
            Err(ThumbnailError::Unavailable(why)) => return Err(DriveError::Unavailable(why)),
        };
        let len = tokio::fs::metadata(&path).await?.len();
        Ok(Thumbnail {
            path,
            len,
            tag: format!("{sha256}-{size}"),
        })
    }
}
