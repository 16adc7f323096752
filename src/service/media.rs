//! What a stored file is and how it may be shown to a browser (SPEC §5): its type,
//! category and extension, the preview rule and the type the raw route may name.
//!
//! The type of a file is decided here, from its name and first bytes, never from what an
//! uploader declared. User bytes are served from the app's own origin, so every decision is
//! made defensively: nothing an uploader sends may ever be rendered as an HTML/SVG/XML
//! document or loaded as a script by our origin (security catalog, group I). The headers
//! that enforce it live in `http::safe_headers`; cached thumbnails in `store::thumbs`.

use image::ImageFormat;

pub use crate::store::thumbs::{THUMB_DEFAULT, THUMB_MAX, THUMB_MIN};

/// The coarse kind of a file shown in listings (`Entry.category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Image,
    Video,
    Audio,
    Document,
    Text,
    Other,
}

impl Category {
    /// The wire name: `image|video|audio|document|text|other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Image => "image",
            Category::Video => "video",
            Category::Audio => "audio",
            Category::Document => "document",
            Category::Text => "text",
            Category::Other => "other",
        }
    }
}

/// What the server says a file is, from its name and (optionally) its first bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInfo {
    pub mime_type: String,
    pub category: Category,
    /// Lower-case, without the dot; `""` when the name has none.
    pub extension: String,
}

const OCTET: &str = "application/octet-stream";
const PLAIN_UTF8: &str = "text/plain; charset=utf-8";
/// How many leading bytes [`identify`] looks at.
pub const SNIFF_LEN: usize = 8192;

/// Extensions that are text or source code whatever `mime_guess` says, with the type to report
/// when `mime_guess` has none (or a wrong one). `.ts` is TypeScript, not an MPEG transport
/// stream (`mime_guess` says `video/vnd.dlna.mpeg-tts`): in a personal drive source code is far
/// more common than raw broadcast captures; a `.ts` whose bytes are an MPEG-TS (sync byte 0x47
/// every 188 bytes) is still recognised as `video/mp2t` by [`identify`]. `.mts`/`.m2ts` stay
/// video: camcorders (AVCHD) write them far more often than TypeScript modules exist.
#[rustfmt::skip]
const TEXT_EXTS: &[(&str, &str)] = &[
    ("ts", "text/x-typescript"), ("tsx", "text/x-typescript"),
    ("cts", "text/x-typescript"), ("go", "text/x-go"), ("java", "text/x-java"),
    ("kt", "text/x-kotlin"), ("kts", "text/x-kotlin"), ("swift", "text/x-swift"),
    ("rb", "text/x-ruby"), ("scala", "text/x-scala"), ("dart", "text/x-dart"), ("txt", ""),
    ("text", ""), ("md", ""), ("markdown", ""), ("rst", ""), ("adoc", ""), ("csv", ""),
    ("tsv", ""), ("json", ""), ("jsonl", ""), ("ndjson", ""), ("yaml", ""), ("yml", ""),
    ("toml", ""), ("ini", ""), ("cfg", ""), ("conf", ""), ("env", ""), ("properties", ""),
    ("xml", ""), ("xsl", ""), ("xslt", ""), ("html", ""), ("htm", ""), ("xhtml", ""), ("log", ""),
    ("tex", ""), ("srt", ""), ("vtt", ""), ("diff", ""), ("patch", ""), ("rs", ""), ("py", ""),
    ("pyi", ""), ("js", ""), ("mjs", ""), ("cjs", ""), ("jsx", ""), ("c", ""), ("h", ""),
    ("cc", ""), ("cpp", ""), ("cxx", ""), ("hpp", ""), ("hh", ""), ("cs", ""), ("php", ""),
    ("pl", ""), ("pm", ""), ("lua", ""), ("r", ""), ("sh", ""), ("bash", ""), ("zsh", ""),
    ("fish", ""), ("ps1", ""), ("bat", ""), ("cmd", ""), ("css", ""), ("scss", ""), ("sass", ""),
    ("less", ""), ("sql", ""), ("graphql", ""), ("proto", ""), ("vue", ""), ("svelte", ""),
    ("hs", ""), ("ml", ""), ("ex", ""), ("exs", ""), ("erl", ""), ("clj", ""), ("el", ""),
    ("vim", ""), ("nix", ""), ("tf", ""), ("gradle", ""), ("cmake", ""), ("mk", ""), ("lock", ""),
];

/// Raster formats a browser renders in `<img>`: previewed inline as themselves.
#[rustfmt::skip]
const BROWSER_IMAGES: &[&str] = &[
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
    "image/x-icon", "image/vnd.microsoft.icon", "image/apng",
];

/// Raster formats the thumbnailer decodes (the `image` crate features enabled in Cargo.toml).
const THUMB_MIMES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Lower-case extension after the last dot; `""` for none, for dot-files (`.bashrc`), and for
/// things that are not extensions (`Mr. Smith`, `v1.2 final`: longer than 16 or not alphanumeric).
fn extension_of(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 16
                && ext
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-') =>
        {
            ext.to_lowercase()
        }
        _ => String::new(),
    }
}

/// A magic number: every (offset, bytes) must match.
type Magic = (&'static [(usize, &'static [u8])], &'static str);
/// Magic numbers checked after `image::guess_format`, first match wins.
#[rustfmt::skip]
const MAGIC: &[Magic] = &[
    (&[(0, b"%PDF-")], "application/pdf"), (&[(0, b"PK\x03\x04")], "application/zip"),
    (&[(0, b"\x1f\x8b")], "application/gzip"),
    (&[(4, b"ftyp"), (8, b"M4A ")], "audio/mp4"), (&[(4, b"ftyp"), (8, b"heic")], "image/heic"),
    (&[(4, b"ftyp"), (8, b"qt  ")], "video/quicktime"), (&[(4, b"ftyp")], "video/mp4"),
    (&[(0, b"ID3")], "audio/mpeg"), (&[(0, b"\xff\xfb")], "audio/mpeg"),
    (&[(0, b"\xff\xf3")], "audio/mpeg"), (&[(0, b"OggS")], "audio/ogg"),
    (&[(0, b"fLaC")], "audio/flac"), (&[(0, b"RIFF"), (8, b"WAVE")], "audio/wav"),
    (&[(0, b"RIFF"), (8, b"AVI ")], "video/x-msvideo"),
];

/// The type by content, for names whose extension says nothing. HTML, SVG and XML are
/// deliberately only ever recognised as `text/plain`.
fn sniff(head: &[u8]) -> &'static str {
    use ImageFormat::*;
    let head = &head[..head.len().min(SNIFF_LEN)];
    if let Ok(f @ (Png | Jpeg | Gif | WebP | Bmp | Tiff | Avif)) = image::guess_format(head) {
        return f.to_mime_type();
    }
    let at = |&(i, m): &(usize, &[u8])| head.get(i..i + m.len()) == Some(m);
    if let Some((_, mime)) = MAGIC.iter().find(|(checks, _)| checks.iter().all(at)) {
        mime
    } else if head.starts_with(b"\x1a\x45\xdf\xa3") {
        // EBML: WebM names its doctype near the start, anything else is Matroska.
        match head.windows(4).take(64).any(|w| w == b"webm") {
            true => "video/webm",
            false => "video/x-matroska",
        }
    } else if looks_like_text(head) {
        "text/plain"
    } else {
        OCTET
    }
}

/// Valid UTF-8 without NUL; a multi-byte character cut by the end of `head` is tolerated.
/// An empty head counts as text (an empty file previews as an empty page).
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// Office and OpenDocument types (matched as prefixes): category `document`, never previewed.
#[rustfmt::skip]
const OFFICE: &[&str] = &[
    "application/msword", "application/rtf", "text/rtf", "application/epub+zip",
    "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/vnd.ms-word",
    "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
    "application/vnd.apple.pages", "application/vnd.apple.numbers", "application/vnd.apple.keynote",
];

fn category_of(ext: &str, mime: &str) -> Category {
    let (top, sub) = mime.split_once('/').unwrap_or((mime, ""));
    match top {
        "image" => Category::Image,
        "video" => Category::Video,
        "audio" => Category::Audio,
        _ if TEXT_EXTS.iter().any(|(e, _)| *e == ext) => Category::Text,
        _ if mime == "application/pdf" || OFFICE.iter().any(|p| mime.starts_with(p)) => {
            Category::Document
        }
        "text" => Category::Text,
        _ if sub == "json" || sub.ends_with("+json") || sub == "xml" || sub.ends_with("+xml") => {
            Category::Text
        }
        _ if sub.contains("javascript") || sub.contains("ecmascript") => Category::Text,
        _ => Category::Other,
    }
}

/// The type from the extension (`mime_guess`), falling back to sniffing `head` (the first
/// ≤ 8 KiB) when the extension is absent or unknown. Never from what an uploader declared.
/// The type is a fact about the name; `store::thumbs::thumbnail` re-checks the real bytes before decoding,
/// and every byte-serving route sends `nosniff` + a sandbox CSP, so a "PNG" that is really
/// HTML is served as `image/png` and cannot run.
pub fn identify(name: &str, head: &[u8]) -> MediaInfo {
    let extension = extension_of(name);
    let known = TEXT_EXTS
        .iter()
        .find(|(e, _)| *e == extension)
        .map(|(_, m)| *m);
    let guessed = mime_guess::from_ext(&extension)
        .first_raw()
        .filter(|m| *m != OCTET);
    let mpeg_ts = head.len() > 188 && head[0] == 0x47 && head[188] == 0x47;
    let mime = match (known, guessed) {
        _ if extension == "ts" && mpeg_ts => "video/mp2t",
        (Some(m), _) if !m.is_empty() => m,
        (Some(_), Some(g)) => g,
        (Some(_), None) => "text/plain",
        (None, Some(g)) if !extension.is_empty() => g,
        _ => sniff(head),
    };
    MediaInfo {
        category: category_of(&extension, mime),
        mime_type: mime.to_owned(),
        extension,
    }
}

/// How the preview route must answer for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewMode {
    /// Serve inline with this exact Content-Type (images, video, audio, PDF).
    Inline { content_type: String },
    /// Serve inline as `text/plain; charset=utf-8` (text, code, html, svg, xml, json, csv, …).
    PlainText,
    /// Not previewable: the preview route behaves as download (attachment).
    Download,
}

/// Browser-renderable rasters, video, audio and PDF inline as themselves; text, code, HTML and
/// SVG as plain text (SVG is a document that can carry script); office files, rasters a browser
/// cannot show (TIFF, HEIC, PSD) and unknown binaries are downloads.
pub fn preview_mode(info: &MediaInfo) -> PreviewMode {
    let mime = info.mime_type.as_str();
    let inline = || PreviewMode::Inline {
        content_type: mime.to_owned(),
    };
    match info.category {
        Category::Image if BROWSER_IMAGES.contains(&mime) => inline(),
        Category::Image if mime == "image/svg+xml" => PreviewMode::PlainText,
        Category::Video | Category::Audio => inline(),
        Category::Document if mime == "application/pdf" => inline(),
        Category::Text => PreviewMode::PlainText,
        _ => PreviewMode::Download,
    }
}

/// The byte route a file is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `download`: always an attachment, with the raw route's type.
    Download,
    /// `content`: inline, with the raw route's type.
    Content,
    /// `preview`: inline by the preview rule, or an attachment when not previewable.
    Preview,
}

/// How a file's bytes go out on a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    pub content_type: String,
    /// Inline (`Content-Disposition: inline`), else an attachment.
    pub inline: bool,
}

impl Presentation {
    /// A PDF shown inline: the one answer without `sandbox` (see `http::safe_headers`).
    pub fn pdf_inline(&self) -> bool {
        self.inline && self.content_type == "application/pdf"
    }
}

/// The type and disposition of a stored file (`stored_mime` as decided at upload) on the
/// byte route `mode` (SPEC §5): the same rule for the owner's routes and public shares.
pub fn presentation(name: &str, stored_mime: Option<&str>, mode: Mode) -> Presentation {
    let info = describe(name, stored_mime);
    let raw = raw_content_type(&info);
    let (content_type, inline) = match (mode, preview_mode(&info)) {
        (Mode::Download, _) | (Mode::Preview, PreviewMode::Download) => (raw, false),
        (Mode::Content, _) => (raw, true),
        (Mode::Preview, PreviewMode::Inline { content_type }) => (content_type, true),
        (Mode::Preview, PreviewMode::PlainText) => (PLAIN_UTF8.to_owned(), true),
    };
    Presentation {
        content_type,
        inline,
    }
}

/// `preview-info.can_preview`: false only when the preview route would download.
pub fn can_preview(info: &MediaInfo) -> bool {
    preview_mode(info) != PreviewMode::Download
}

#[rustfmt::skip]
const SCRIPTABLE_PARTS: &[&str] = &["xml", "html", "javascript", "ecmascript", "jscript", "json"];
#[rustfmt::skip]
const SCRIPTABLE_TYPES: &[&str] = &[
    "application/x-shockwave-flash", "application/futuresplash", "application/hta",
    "application/wasm", "application/x-httpd-php", "application/x-mimearchive",
];
/// Types a browser could run as a document or script of our origin, or that are otherwise
/// active content: every `text/*` (html, xml, xsl, javascript, css, x-component, vtt …), any
/// XML (`*/xml`, `*+xml`: SVG, XHTML, XSLT, RSS/Atom, MathML), JavaScript/ECMAScript and JSON
/// in any spelling, `message/*` and `multipart/*` (MHTML), Flash, HTA, WebAssembly and PHP.
fn is_scriptable(mime: &str) -> bool {
    let m = mime.to_ascii_lowercase();
    let m = m.split(';').next().unwrap_or("").trim();
    ["text/", "message/", "multipart/"]
        .iter()
        .any(|p| m.starts_with(p))
        || subtype_tokens(m).any(|token| SCRIPTABLE_PARTS.contains(&token))
        || SCRIPTABLE_TYPES.contains(&m)
}

/// The words of a subtype: `vnd.mozilla.xul+xml` → vnd, mozilla, xul, xml. Matching whole
/// words keeps `openxmlformats` (Office documents) from counting as XML.
fn subtype_tokens(mime: &str) -> impl Iterator<Item = &str> {
    let subtype = mime.split_once('/').map_or("", |(_, sub)| sub);
    subtype.split(['+', '-', '.'])
}

/// Types of category `other` that are inert and keep their name on the raw route.
#[rustfmt::skip]
const INERT_OTHER: &[&str] = &[
    "application/zip", "application/gzip", "application/x-tar", "application/x-7z-compressed",
    "application/vnd.rar", "application/x-rar-compressed", "application/x-bzip2", "application/x-xz",
    "application/zstd", OCTET,
];

/// The Content-Type for the raw `content` route: the server's own type for media and documents;
/// `text/plain; charset=utf-8` for text and anything scriptable (see `is_scriptable`); and for
/// everything else, unless it is a plain archive, `application/octet-stream` — an allowlist, so
/// an unforeseen active type (e.g. ClickOnce `application/x-ms-application`) is never named.
pub fn raw_content_type(info: &MediaInfo) -> String {
    let mime = info.mime_type.as_str();
    if info.category == Category::Text || is_scriptable(mime) {
        PLAIN_UTF8.to_owned()
    } else if info.category != Category::Other || INERT_OTHER.contains(&mime) {
        mime.to_owned()
    } else {
        OCTET.to_owned()
    }
}

/// Raster images the thumbnailer accepts (PNG, JPEG, GIF, WebP) by type; `store::thumbs::thumbnail` then
/// decides by the blob's real bytes.
pub fn is_thumbnailable(info: &MediaInfo) -> bool {
    THUMB_MIMES.contains(&info.mime_type.as_str())
}

/// Validated thumbnail size (64..=1024 inclusive, default 256) or `Err(())` for 422.
#[allow(clippy::result_unit_err)]
pub fn thumbnail_size(requested: Option<u32>) -> Result<u32, ()> {
    match requested.unwrap_or(THUMB_DEFAULT) {
        s @ THUMB_MIN..=THUMB_MAX => Ok(s),
        _ => Err(()),
    }
}

/// What a stored file is: the name's facts with the type decided at upload (which may have
/// come from sniffing the bytes) taking precedence.
pub fn describe(name: &str, stored_mime: Option<&str>) -> MediaInfo {
    match stored_mime {
        // What `identify` would add is only its own guess of the type: skipped (listings
        // describe every entry).
        Some(mime) => {
            let extension = extension_of(name);
            MediaInfo {
                category: category_of(&extension, mime),
                mime_type: mime.to_owned(),
                extension,
            }
        }
        None => identify(name, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[rustfmt::skip]
    fn media_scriptable_list() {
        for m in [
            "text/html", "TEXT/HTML; charset=utf-8", "application/xhtml+xml", "image/svg+xml",
            "text/xml", "application/xml", "application/xslt+xml", "text/javascript",
            "application/javascript", "application/x-javascript", "application/ecmascript",
            "application/json", "application/ld+json", "message/rfc822", "multipart/related",
            "application/x-shockwave-flash", "application/wasm", "application/hta", "text/css",
        ] {
            assert!(is_scriptable(m), "{m}");
        }
        for m in ["image/png", "video/mp4", "audio/mpeg", "application/pdf", "application/zip", OCTET] {
            assert!(!is_scriptable(m), "{m}");
        }
        let all = [Category::Image, Category::Video, Category::Audio, Category::Document, Category::Text];
        let names: Vec<_> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, ["image", "video", "audio", "document", "text"]);
        assert_eq!(Category::Other.as_str(), "other");
    }
}
