//! Avatars: the upload is sniffed, decoded with limits, shrunk to at most 512×512 and
//! re-encoded as PNG, so not one byte of what was sent is ever served.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use crate::db::users::UserRecord;
use crate::db::{self, now};
use crate::ids::UserId;

use super::accounts::{load, Accounts};
use super::{AccountError, AccountResult, Principal};

pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_SIDE: u32 = 512;
/// Decoding limits against decompression bombs (a tiny file claiming a huge canvas).
const MAX_DECODED_SIDE: u32 = 10_000;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

impl Accounts {
    pub async fn set_avatar(
        &self,
        principal: &Principal,
        upload: Vec<u8>,
    ) -> AccountResult<UserRecord> {
        if upload.len() > MAX_UPLOAD_BYTES {
            return Err(AccountError::TooLarge("avatar is larger than 5 MiB".into()));
        }
        let png = tokio::task::spawn_blocking(move || reencode(&upload))
            .await
            .map_err(|e| AccountError::Internal(e.to_string()))??;
        let id = principal.id();
        let user = self
            .db
            .write(move |tx| -> AccountResult<UserRecord> {
                db::avatars::upsert(tx, id.0, &png, now())?;
                load(tx, id)
            })
            .await?;
        self.caches.users.invalidate(&id);
        Ok(user)
    }

    pub async fn delete_avatar(&self, principal: &Principal) -> AccountResult<()> {
        let id = principal.id();
        let existed = self
            .db
            .write(move |tx| -> AccountResult<bool> { Ok(db::avatars::delete(tx, id.0)?) })
            .await?;
        self.caches.users.invalidate(&id);
        if existed {
            Ok(())
        } else {
            Err(AccountError::NotFound)
        }
    }

    /// The stored PNG and when it was set.
    pub async fn avatar(&self, user_id: UserId) -> AccountResult<(Vec<u8>, i64)> {
        self.db
            .run(move |conn| db::avatars::get(conn, user_id.0))
            .await?
            .ok_or(AccountError::NotFound)
    }
}

/// Accepts PNG, JPEG, GIF or WebP (by content, not by name or declared type) and returns
/// a PNG no larger than `MAX_SIDE` on either side.
pub fn reencode(upload: &[u8]) -> AccountResult<Vec<u8>> {
    let invalid = |why: &str| AccountError::InvalidImage(format!("not a usable image: {why}"));
    let format = image::guess_format(upload).map_err(|_| invalid("unrecognised format"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return Err(invalid("only PNG, JPEG, GIF and WebP are accepted"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|_| invalid("it could not be decoded"))?;
    let image = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        image
    };
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| AccountError::Internal(format!("png encode: {e}")))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::DynamicImage::new_rgb8(width, height);
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn large_images_are_shrunk_to_fit() {
        let out = reencode(&png(1024, 600)).unwrap();
        let decoded = image::load_from_memory(&out).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (512, 300));
    }

    #[test]
    fn html_and_truncated_images_are_refused() {
        assert!(matches!(
            reencode(b"<html><script>alert(1)</script>"),
            Err(AccountError::InvalidImage(_))
        ));
        let mut broken = png(20, 20);
        broken.truncate(30);
        assert!(matches!(
            reencode(&broken),
            Err(AccountError::InvalidImage(_))
        ));
    }
}
