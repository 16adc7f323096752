//! Regular expressions (ECMA-262 and Python `re` alike: `\uXXXX` escapes, no look-around)
//! built from the services' own character rules, so the document and the server cannot
//! disagree about which characters a name or a label may hold.

use crate::api::tus::DIGESTS;
use crate::service::drive::names::forbidden_in_name;
use crate::service::validate::{forbidden_in_bio, username_char, USERNAME_CHARS};

/// `[…]` of every character below U+10000 for which `pick` holds (`negate`: `[^…]`).
/// The rules this serves only ever pick characters of the Basic Multilingual Plane.
fn class(negate: bool, pick: impl Fn(char) -> bool) -> String {
    let mut out = String::from(if negate { "[^" } else { "[" });
    let mut start: Option<u32> = None;
    for code in 0..=0x1_0000u32 {
        let picked = code < 0x1_0000 && char::from_u32(code).is_some_and(&pick);
        match (picked, start) {
            (true, None) => start = Some(code),
            (false, Some(first)) => {
                out.push_str(&format!("\\u{first:04x}"));
                if code - 1 > first {
                    out.push_str(&format!("-\\u{:04x}", code - 1));
                }
                start = None;
            }
            _ => {}
        }
    }
    out.push(']');
    out
}

/// One name: any allowed characters with at least one that is not a dot, or three or
/// more dots (`.` and `..` are not names).
fn name_body() -> String {
    let allowed = class(true, forbidden_in_name);
    let not_dot = class(true, |c| c == '.' || forbidden_in_name(c));
    format!("(?:{allowed}*{not_dot}{allowed}*|\\.{{3,}})")
}

/// A file or folder name (SPEC §5).
pub fn name() -> String {
    format!("^{}$", name_body())
}

/// A `by-path` path: names joined by `/`, with an optional leading `/`.
pub fn path() -> String {
    let name = name_body();
    format!("^/?{name}(?:/{name})*$")
}

/// A path inside a share: none (`` or `/`) or a path of names.
pub fn share_path() -> String {
    let name = name_body();
    format!("^/?(?:{name}(?:/{name})*)?$")
}

/// A label (display name, token name): no control characters, not only white space.
pub fn label() -> String {
    let any = class(true, char::is_control);
    let visible = class(true, |c| c.is_control() || c.is_whitespace());
    format!("^{any}*{visible}{any}*$")
}

/// A bio: no control characters but line breaks and tabs.
pub fn bio() -> String {
    format!("^{}*$", class(true, forbidden_in_bio))
}

/// A username (SPEC §4).
pub fn username() -> String {
    let (min, max) = USERNAME_CHARS;
    format!("^{}{{{min},{max}}}$", class(false, username_char))
}

/// One base64 character, and the last one before `=` or `==` (the decoder refuses stray
/// bits, so only these end a group of one or two bytes).
const B64: &str = "[A-Za-z0-9+/]";
const B64_LAST_OF_TWO: &str = "[AEIMQUYcgkosw048]";
const B64_LAST_OF_ONE: &str = "[AQgw]";

/// Base64 (RFC 4648, padded) of any length.
fn base64_any() -> String {
    format!("(?:{B64}{{4}})*(?:{B64}{{2}}{B64_LAST_OF_TWO}=|{B64}{B64_LAST_OF_ONE}==)?")
}

/// Base64 (RFC 4648, padded) of exactly `len` bytes.
fn base64_of(len: usize) -> String {
    let whole = format!("{B64}{{{}}}", len / 3 * 4);
    match len % 3 {
        0 => whole,
        1 => format!("{whole}{B64}{B64_LAST_OF_ONE}=="),
        _ => format!("{whole}{B64}{{2}}{B64_LAST_OF_TWO}="),
    }
}

/// tus `Upload-Metadata`: comma-separated `key` or `key base64-value` pairs.
pub fn tus_metadata() -> String {
    let pair = format!("[^ ,]+(?: {})?", base64_any());
    format!("^{pair}(?:,{pair})*$")
}

/// tus `Upload-Checksum`: an algorithm and its digest's base64; empty is none.
pub fn tus_checksum() -> String {
    let digests: Vec<String> = DIGESTS
        .iter()
        .map(|(algorithm, len, _)| format!("{algorithm} +{}", base64_of(*len)))
        .collect();
    format!("^(?:|{})$", digests.join("|"))
}
