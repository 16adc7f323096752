//! RFC 6266 / RFC 8187 `Content-Disposition` for any Unicode file name.

use std::fmt::Write as _;

/// The disposition type of [`content_disposition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispositionKind {
    Attachment,
    Inline,
}

/// RFC 6266 / RFC 8187 `Content-Disposition` for any Unicode name:
/// `attachment; filename="<ascii fallback>"; filename*=UTF-8''<percent-encoded>`.
/// Control and bidi-override characters are dropped from both forms; the fallback replaces
/// non-ASCII, `"`, `\` and `%` with `_`. An empty name becomes `download`.
pub fn content_disposition(kind: DispositionKind, name: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let clean: String = name
        .chars()
        .filter(|&c| !c.is_control() && !bidi(c))
        .collect();
    let clean = match clean.trim() {
        "" => "download",
        s => s,
    };
    let fallback: String = clean
        .chars()
        .map(|c| match c {
            '"' | '\\' | '%' => '_',
            ' '..='~' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(clean.len() * 3);
    for b in clean.bytes() {
        // attr-char, RFC 8187 §3.2.1
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    let kind = match kind {
        DispositionKind::Attachment => "attachment",
        DispositionKind::Inline => "inline",
    };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}
