//! Cached thumbnails of raster images (SPEC §5): generated once per blob and size, from the
//! blob's real bytes, written atomically under `thumbs/`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};

use crate::ids::BlobId;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

const THUMB_FORMATS: &[ImageFormat] = &[
    ImageFormat::Png,
    ImageFormat::Jpeg,
    ImageFormat::Gif,
    ImageFormat::WebP,
];

/// Thumbnail sizes, in pixels of the longer side.
pub const THUMB_MIN: u32 = 64;
pub const THUMB_MAX: u32 = 1024;
pub const THUMB_DEFAULT: u32 = 256;

#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("not an image")]
    NotAnImage,
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The blob is in an object store that could not be read.
    #[error("object store: {0}")]
    Unavailable(String),
}

const MAX_SIDE: u32 = 16384;
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
const JPEG_QUALITY: u8 = 80;

/// Decode failures are `NotAnImage`, except real read errors of the blob.
fn decode_err(e: image::ImageError) -> ThumbnailError {
    match e {
        image::ImageError::IoError(e)
            if !matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
            ) =>
        {
            ThumbnailError::Io(e)
        }
        _ => ThumbnailError::NotAnImage,
    }
}

fn decode(blob_path: &Path) -> Result<DynamicImage, ThumbnailError> {
    let reader = ImageReader::new(BufReader::new(File::open(blob_path)?)).with_guessed_format()?;
    if !reader.format().is_some_and(|f| THUMB_FORMATS.contains(&f)) {
        return Err(ThumbnailError::NotAnImage);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = reader;
    reader.limits(limits.clone());
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    limits.reserve(decoder.total_bytes()).map_err(decode_err)?;
    let orientation = decoder.orientation().map_err(decode_err)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Shrinks to fit `size`×`size` (never enlarges) and flattens transparency onto white.
fn render(img: &DynamicImage, size: u32) -> image::RgbImage {
    let small = if img.width() > size || img.height() > size {
        img.thumbnail(size, size)
    } else {
        img.clone()
    };
    if !small.color().has_alpha() {
        return small.to_rgb8();
    }
    let rgba = small.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn write_atomically(
    dir: &Path,
    target: &Path,
    tmp_name: &str,
    img: &image::RgbImage,
) -> io::Result<()> {
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut out = BufWriter::new(file);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(img)
            .map_err(io::Error::other)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, target)?;
        // Make the rename durable; failure here only costs a regeneration after a crash.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Cached thumbnail `<thumbs_dir>/<sha256[0..2]>/<sha256>-<size>.jpg`, generated on first use
/// from `blob_path` (format decided by the blob's bytes; max 16384×16384 and 512 MiB decoded;
/// fit inside size×size keeping aspect; JPEG quality 80; temp file + fsync + rename, so a
/// concurrent request never sees half a file). Blocking: run it in `spawn_blocking`.
pub fn thumbnail(
    thumbs_dir: &Path,
    blob_path: &Path,
    sha256: &BlobId,
    size: u32,
) -> Result<PathBuf, ThumbnailError> {
    let sha256 = sha256.as_str();
    if !(THUMB_MIN..=THUMB_MAX).contains(&size) {
        return Err(
            io::Error::new(io::ErrorKind::InvalidInput, "thumbnail size out of range").into(),
        );
    }
    let dir = thumbs_dir.join(&sha256[..2]);
    let target = dir.join(format!("{sha256}-{size}.jpg"));
    if target.is_file() {
        return Ok(target);
    }
    let img = render(&decode(blob_path)?, size);
    fs::create_dir_all(&dir)?;
    let tmp_name = format!(".{sha256}-{size}.{:016x}.tmp", rand::random::<u64>());
    write_atomically(&dir, &target, &tmp_name, &img)?;
    Ok(target)
}

/// Whether the thumbnail of `sha256` at `size` is already made.
pub fn is_cached(thumbs_dir: &Path, sha256: &BlobId, size: u32) -> bool {
    let sha256 = sha256.as_str();
    thumbs_dir
        .join(&sha256[..2])
        .join(format!("{sha256}-{size}.jpg"))
        .is_file()
}

/// Removes every cached thumbnail of a blob (all sizes, and stray temp files).
pub fn remove_thumbnails(thumbs_dir: &Path, sha256: &BlobId) -> io::Result<()> {
    let sha256 = sha256.as_str();
    let entries = match fs::read_dir(thumbs_dir.join(&sha256[..2])) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let (done, tmp) = (format!("{sha256}-"), format!(".{sha256}-"));
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&done) || name.starts_with(&tmp) {
            match fs::remove_file(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    // The `xx/` directory is kept: removing it could race with a concurrent `thumbnail()`.
    Ok(())
}
