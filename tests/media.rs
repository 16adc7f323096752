//! File identification and preview rules (`hoard::service::media`), the safe headers
//! (`hoard::http::safe_headers`) and cached thumbnails (`hoard::store::thumbs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use hoard::http::safe_headers::safe_headers;
use hoard::ids::BlobId;
use hoard::service::media::{self, *};
use hoard::store::thumbs::{remove_thumbnails, thumbnail, ThumbnailError};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use poem::http::{HeaderName, HeaderValue};
use Category::*;

#[test]
fn media_identify_table() {
    #[rustfmt::skip]
    let table: &[(&str, &str, Category, &str)] = &[
        ("README", "text/plain", Text, ""),
        (".bashrc", "text/plain", Text, ""),
        ("Photo.JPG", "image/jpeg", Image, "jpg"),
        ("a.jpeg", "image/jpeg", Image, "jpeg"),
        ("a.png", "image/png", Image, "png"),
        ("a.gif", "image/gif", Image, "gif"),
        ("a.webp", "image/webp", Image, "webp"),
        ("a.svg", "image/svg+xml", Image, "svg"),
        ("a.heic", "image/heic", Image, "heic"),
        ("archive.tar.gz", "application/gzip", Other, "gz"),
        ("a.zip", "application/zip", Other, "zip"),
        ("报告.pdf", "application/pdf", Document, "pdf"),
        ("a.doc", "application/msword", Document, "doc"),
        ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Document, "docx"),
        ("a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Document, "xlsx"),
        ("a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", Document, "pptx"),
        ("a.odt", "application/vnd.oasis.opendocument.text", Document, "odt"),
        ("a.rtf", "application/rtf", Document, "rtf"),
        ("a.epub", "application/epub+zip", Document, "epub"),
        ("a.mp4", "video/mp4", Video, "mp4"),
        ("a.webm", "video/webm", Video, "webm"),
        ("a.mkv", "video/x-matroska", Video, "mkv"),
        ("a.mp3", "audio/mpeg", Audio, "mp3"),
        ("a.flac", "audio/flac", Audio, "flac"),
        ("a.ogg", "audio/ogg", Audio, "ogg"),
        ("a.txt", "text/plain", Text, "txt"),
        ("notes.MD", "text/markdown", Text, "md"),
        ("a.csv", "text/csv", Text, "csv"),
        ("a.json", "application/json", Text, "json"),
        ("a.yaml", "text/x-yaml", Text, "yaml"),
        ("a.yml", "text/x-yaml", Text, "yml"),
        ("a.xml", "text/xml", Text, "xml"),
        ("a.html", "text/html", Text, "html"),
        ("a.htm", "text/html", Text, "htm"),
        ("server.log", "text/plain", Text, "log"),
        ("a.toml", "text/x-toml", Text, "toml"),
        ("main.rs", "text/x-rust", Text, "rs"),
        ("a.py", "text/plain", Text, "py"),
        ("a.js", "text/javascript", Text, "js"),
        ("a.ts", "text/x-typescript", Text, "ts"),
        ("main.go", "text/x-go", Text, "go"),
        ("A.java", "text/x-java", Text, "java"),
        ("run.sh", "application/x-sh", Text, "sh"),
        ("a.sql", "application/x-sql", Text, "sql"),
        ("a.css", "text/css", Text, "css"),
        ("Mr. Smith", "text/plain", Text, ""),
        ("trailing.", "text/plain", Text, ""),
    ];
    for (name, mime, cat, ext) in table {
        // Empty head: names without a known extension sniff as (empty) text.
        let got = identify(name, b"");
        assert_eq!(
            (got.mime_type.as_str(), got.category, got.extension.as_str()),
            (*mime, *cat, *ext),
            "{name}"
        );
    }
}

#[test]
fn media_sniffing() {
    let png = identify("blob.qzx9", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_eq!(
        (png.mime_type.as_str(), png.category, png.extension.as_str()),
        ("image/png", Image, "qzx9")
    );
    let txt = identify("notes", "hello wörld\n".as_bytes());
    assert_eq!((txt.mime_type.as_str(), txt.category), ("text/plain", Text));
    let html = identify("page", b"<html><script>alert(1)</script>");
    assert_eq!(html.mime_type, "text/plain");
    let bin = identify(
        "data.qqq",
        &[0x13, 0x00, 0xfe, 0x81, 0x00, 0x42, 0x99, 0x00],
    );
    assert_eq!(
        (bin.mime_type.as_str(), bin.category),
        ("application/octet-stream", Other)
    );
    assert!(!can_preview(&bin));
    // `mime_guess` says octet-stream for .exe: that counts as unknown, so the bytes decide.
    let exe = identify("setup.exe", b"MZ\x90\0\x03\0\0\0");
    assert_eq!(
        (exe.mime_type.as_str(), exe.category, exe.extension.as_str()),
        ("application/octet-stream", Other, "exe")
    );
    assert_eq!(identify("x", b"%PDF-1.7\n").category, Document);
    assert_eq!(
        identify("x", b"PK\x03\x04rest").mime_type,
        "application/zip"
    );
    assert_eq!(identify("x", b"\0\0\0\x20ftypisom").mime_type, "video/mp4");
    assert_eq!(
        identify("x", b"\x1a\x45\xdf\xa3\x01webm").mime_type,
        "video/webm"
    );
    assert_eq!(identify("x", b"ID3\x04\0").mime_type, "audio/mpeg");
    assert_eq!(identify("x", b"\xff\xfb\x90\0").mime_type, "audio/mpeg");
    assert_eq!(identify("x", b"OggS\0\x02").mime_type, "audio/ogg");
    assert_eq!(
        identify("x", b"RIFF\x24\0\0\0WAVEfmt ").mime_type,
        "audio/wav"
    );
    // `.ts` is TypeScript unless its bytes are an MPEG transport stream; `.mts` is AVCHD video.
    let mut ts = vec![0u8; 400];
    (ts[0], ts[188], ts[376]) = (0x47, 0x47, 0x47);
    let clip = identify("clip.ts", &ts);
    assert_eq!(
        (clip.mime_type.as_str(), clip.category),
        ("video/mp2t", Video)
    );
    assert_eq!(identify("app.ts", b"export const x = 1;\n").category, Text);
    assert_eq!(identify("00001.MTS", b"").category, Video);
    // A UTF-8 character cut by the 8 KiB window is still text.
    let mut cut = vec![b'a'; media::SNIFF_LEN - 1];
    cut.extend_from_slice("é".as_bytes());
    assert_eq!(identify("x", &cut).mime_type, "text/plain");
    // Bytes never override a known extension: HTML named .png is image/png (served nosniff).
    assert_eq!(identify("x.png", b"<html>").mime_type, "image/png");
}

#[test]
fn media_preview_modes() {
    let mode = |n: &str| preview_mode(&identify(n, b""));
    let inline = |t: &str| PreviewMode::Inline {
        content_type: t.to_owned(),
    };
    assert_eq!(mode("a.png"), inline("image/png"));
    assert_eq!(mode("a.mp4"), inline("video/mp4"));
    assert_eq!(mode("a.mp3"), inline("audio/mpeg"));
    assert_eq!(mode("a.pdf"), inline("application/pdf"));
    for n in [
        "a.txt", "a.html", "a.svg", "a.xhtml", "a.js", "a.json", "README",
    ] {
        assert_eq!(mode(n), PreviewMode::PlainText, "{n}");
    }
    for n in ["a.docx", "a.zip", "a.tiff", "a.7z"] {
        assert_eq!(mode(n), PreviewMode::Download, "{n}");
        assert!(!can_preview(&identify(n, b"")), "{n}");
    }
    assert!(can_preview(&identify("a.svg", b"")));
    assert!(is_thumbnailable(&identify("a.png", b"")));
    assert!(!is_thumbnailable(&identify("a.svg", b"")));
    assert!(!is_thumbnailable(&identify("a.tiff", b"")));
}

#[test]
fn media_raw_content_type_never_scriptable() {
    let names = [
        "a.html",
        "a.htm",
        "a.xhtml",
        "a.xht",
        "a.svg",
        "a.svgz",
        "a.xml",
        "a.xsl",
        "a.xslt",
        "a.js",
        "a.mjs",
        "a.cjs",
        "a.json",
        "a.jsonld",
        "a.css",
        "a.mht",
        "a.mhtml",
        "a.eml",
        "a.swf",
        "a.hta",
        "a.wasm",
        "a.php",
        "a.rss",
        "a.atom",
        "a.mml",
        "a.vtt",
        "a.htc",
        "a.shtml",
        "a.jsp",
        "a.asp",
        "a.vbs",
        "a.xul",
        "a.rdf",
        "a.appcache",
        "a.manifest",
        "a.application",
        "a.exe",
        "a.jar",
        "a.webmanifest",
        "a.ts",
        "a.txt",
        "a.png",
        "a.pdf",
        "a.zip",
        "README",
    ];
    let heads: [&[u8]; 3] = [b"", b"<html><script>x</script>", b"<svg onload=alert(1)>"];
    for name in names {
        for head in heads {
            let ct = raw_content_type(&identify(name, head));
            let essence = ct.split(';').next().unwrap_or("").trim().to_owned();
            // Only inert types: plain text, media, PDF, archives, octet-stream.
            let inert = ["text/plain", "application/pdf", "application/zip"];
            let ok = inert.contains(&essence.as_str())
                || essence == "application/octet-stream"
                || ["image/", "video/", "audio/"]
                    .iter()
                    .any(|p| essence.starts_with(p));
            assert!(ok, "{name}: {ct}");
            assert!(
                !ct.contains("html") && !ct.contains("xml") && !ct.contains("script"),
                "{name}: {ct}"
            );
        }
    }
    assert_eq!(
        raw_content_type(&identify("a.html", b"")),
        "text/plain; charset=utf-8"
    );
    let exe = identify("a.exe", b"MZ\x90\0");
    assert_eq!(raw_content_type(&exe), "application/octet-stream");
    let clickonce = identify("a.application", b"MZ\x90\0");
    assert_eq!(raw_content_type(&clickonce), "application/octet-stream");
    assert_eq!(raw_content_type(&identify("a.zip", b"")), "application/zip");
    assert_eq!(
        raw_content_type(&identify("a.svg", b"")),
        "text/plain; charset=utf-8"
    );
    assert_eq!(raw_content_type(&identify("a.png", b"")), "image/png");
    assert_eq!(raw_content_type(&identify("a.pdf", b"")), "application/pdf");
}

#[test]
fn media_safe_headers_exact() {
    let as_strs = |v: Vec<(HeaderName, HeaderValue)>| {
        v.into_iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect::<Vec<_>>()
    };
    let nosniff = ("x-content-type-options".to_owned(), "nosniff".to_owned());
    assert_eq!(
        as_strs(safe_headers(false)),
        vec![nosniff.clone(), ("content-security-policy".to_owned(), "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'".to_owned())]
    );
    assert_eq!(
        as_strs(safe_headers(true)),
        vec![nosniff, ("content-security-policy".to_owned(), "default-src 'none'; object-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'".to_owned())]
    );
}

#[test]
fn media_thumbnail_size_bounds() {
    assert_eq!(thumbnail_size(Some(63)), Err(()));
    assert_eq!(thumbnail_size(Some(64)), Ok(64));
    assert_eq!(thumbnail_size(Some(1024)), Ok(1024));
    assert_eq!(thumbnail_size(Some(1025)), Err(()));
    assert_eq!(thumbnail_size(Some(0)), Err(()));
    assert_eq!(thumbnail_size(None), Ok(256));
}

const SHA: &str = "ab34567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef";
const SHA2: &str = "ab00000000000000000000000000000000000000000000000000000000000000";

/// A blob id of the store: the only way a name reaches the thumbnail cache's paths.
fn id(sha: &str) -> BlobId {
    BlobId::parse(sha).expect("a blob id")
}

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn media_thumbnail_generated_once_and_cached() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let blob = tmp.path().join("blob");
    std::fs::write(&blob, png_bytes(2000, 1000)).unwrap();
    let thumbs = tmp.path().join("thumbs");
    let path = thumbnail(&thumbs, &blob, &id(SHA), 256).unwrap();
    assert_eq!(path, thumbs.join("ab").join(format!("{SHA}-256.jpg")));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Jpeg);
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (256, 128));
    let before = std::fs::metadata(&path).unwrap();
    // Even with the blob gone the cached file is served: it is not regenerated.
    std::fs::remove_file(&blob).unwrap();
    let again = thumbnail(&thumbs, &blob, &id(SHA), 256).unwrap();
    let after = std::fs::metadata(&again).unwrap();
    assert_eq!(again, path);
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );
    assert_eq!(files_in(&thumbs.join("ab")), vec![format!("{SHA}-256.jpg")]);
}

#[test]
fn media_thumbnail_small_and_transparent_images() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = tmp.path().join("blob");
    // Smaller than the box: not enlarged. Transparent: flattened onto white.
    let img = RgbaImage::from_pixel(100, 40, Rgba([0, 0, 0, 0]));
    img.save_with_format(&blob, ImageFormat::Png).unwrap();
    let path = thumbnail(tmp.path(), &blob, &id(SHA), 64).unwrap();
    let out = image::open(&path).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (64, 26));
    let small = thumbnail(tmp.path(), &blob, &id(SHA), 512).unwrap();
    let out = image::open(&small).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (100, 40));
    assert!(out.get_pixel(50, 20).0.iter().all(|c| *c > 240));
}

#[test]
fn media_thumbnail_refuses_non_images() {
    let tmp = tempfile::tempdir().unwrap();
    let thumbs = tmp.path().join("thumbs");
    let fake = tmp.path().join("fake.png");
    std::fs::write(&fake, b"<html><script>alert(1)</script></html>").unwrap();
    assert!(is_thumbnailable(&identify("fake.png", b"")));
    assert!(matches!(
        thumbnail(&thumbs, &fake, &id(SHA), 256),
        Err(ThumbnailError::NotAnImage)
    ));

    let mut png = png_bytes(600, 400);
    png.truncate(png.len() / 2);
    let cut = tmp.path().join("cut.png");
    std::fs::write(&cut, &png).unwrap();
    assert!(matches!(
        thumbnail(&thumbs, &cut, &id(SHA), 256),
        Err(ThumbnailError::NotAnImage)
    ));
    // Nothing cached, no temp file left behind.
    assert!(files_in(&thumbs.join("ab")).is_empty());

    let svg = tmp.path().join("a.svg");
    std::fs::write(&svg, b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    assert!(!is_thumbnailable(&identify("a.svg", b"")));
    assert!(matches!(
        thumbnail(&thumbs, &svg, &id(SHA), 256),
        Err(ThumbnailError::NotAnImage)
    ));
    let missing = tmp.path().join("missing");
    assert!(matches!(
        thumbnail(&thumbs, &missing, &id(SHA), 256),
        Err(ThumbnailError::Io(_))
    ));
    // A hash that is not 64 hex digits never becomes a path: it is not a `BlobId`.
    assert_eq!(BlobId::parse("../../etc/passwd"), None);
}

#[test]
fn media_thumbnail_refuses_huge_dimensions() {
    // A tiny PNG header declaring 50000×50000 is refused from the header, fast.
    let tmp = tempfile::tempdir().unwrap();
    let mut png = png_bytes(1, 1);
    png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    let blob = tmp.path().join("bomb.png");
    std::fs::write(&blob, &png).unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(
        thumbnail(tmp.path(), &blob, &id(SHA), 256),
        Err(ThumbnailError::NotAnImage)
    ));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn media_remove_thumbnails_all_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = tmp.path().join("blob");
    std::fs::write(&blob, png_bytes(300, 300)).unwrap();
    let thumbs = tmp.path().join("thumbs");
    for size in [64, 256, 1024] {
        thumbnail(&thumbs, &blob, &id(SHA), size).unwrap();
    }
    thumbnail(&thumbs, &blob, &id(SHA2), 128).unwrap();
    std::fs::write(thumbs.join("ab").join(format!(".{SHA}-64.00ff.tmp")), b"x").unwrap();
    assert_eq!(files_in(&thumbs.join("ab")).len(), 5);
    remove_thumbnails(&thumbs, &id(SHA)).unwrap();
    assert_eq!(
        files_in(&thumbs.join("ab")),
        vec![format!("{SHA2}-128.jpg")]
    );
    remove_thumbnails(&thumbs, &id(SHA)).unwrap();
    remove_thumbnails(&tmp.path().join("nowhere"), &id(SHA)).unwrap();
    // A name that is not a blob id never becomes a thumbnail path: it is not a `BlobId`.
    assert_eq!(BlobId::parse("zz"), None);
}

#[test]
fn media_concurrent_thumbnails_are_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let blob = tmp.path().join("blob");
    std::fs::write(&blob, png_bytes(1500, 900)).unwrap();
    let thumbs = tmp.path().join("thumbs");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let p = thumbnail(&thumbs, &blob, &id(SHA), 300).unwrap();
                let img = image::open(&p).unwrap();
                assert_eq!((img.width(), img.height()), (300, 180));
            });
        }
    });
    assert_eq!(files_in(&thumbs.join("ab")), vec![format!("{SHA}-300.jpg")]);
}
