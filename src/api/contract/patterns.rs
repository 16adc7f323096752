//! Regular expressions (ECMA-262 and Python `re` alike: `\uXXXX` escapes, no look-around)
//! built from the services' own character rules, so the document and the server cannot
//! disagree about which characters a name or a label may hold.

use crate::service::drive::names::forbidden_in_name;
use crate::service::validate::forbidden_in_bio;

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
pub const USERNAME: &str = "^[A-Za-z0-9_.-]{3,32}$";

/// Base64 (RFC 4648 with padding, no stray bits: the decoder refuses them).
const BASE64: &str =
    "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}[AQgw]==|[A-Za-z0-9+/]{3}[AEIMQUYcgkosw048]=)?";

/// tus `Upload-Metadata`: comma-separated `key` or `key base64-value` pairs.
pub fn tus_metadata() -> String {
    let pair = format!("[^ ,]+(?: {BASE64})?");
    format!("^{pair}(?:,{pair})*$")
}

/// tus `Upload-Checksum`: `sha1` or `sha256` and the digest's base64 (20 or 32 bytes).
pub const TUS_CHECKSUM: &str =
    "^(?:sha1 +[A-Za-z0-9+/]{26}[AEIMQUYcgkosw048]=|sha256 +[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)$";
