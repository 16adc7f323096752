//! A part's header block (RFC 7578 §4.2, RFC 2183, RFC 8187 `filename*`): the name and
//! filename of its `Content-Disposition`, with quoted strings and extended values.

use memchr::memmem;

use super::MultipartError;

/// One part's name and filename.
#[derive(Debug, Default)]
pub(super) struct Part {
    pub(super) name: Option<String>,
    pub(super) file_name: Option<String>,
}

/// A header block: the padding line, header lines, and the empty line that ends them.
pub(super) fn parse_head(head: &[u8]) -> Result<Part, MultipartError> {
    let start = memmem::find(head, b"\r\n").map_or(head.len(), |end| end + 2);
    let mut lines = head
        .get(start..head.len().saturating_sub(2))
        .unwrap_or_default();
    let mut disposition = None;
    while let Some(end) = memmem::find(lines, b"\r\n") {
        let (name, value) = header(&lines[..end]).ok_or(MultipartError::BadHeaders)?;
        if disposition.is_none() && name.eq_ignore_ascii_case(b"content-disposition") {
            disposition = Some(value);
        }
        lines = &lines[end + 2..];
    }
    let Some(value) = disposition else {
        return Ok(Part::default());
    };
    std::str::from_utf8(value)
        .ok()
        .and_then(content_disposition)
        .ok_or(MultipartError::BadHeaders)
}

/// `name: value` of RFC 9110: a token, then a value without control bytes but tab.
fn header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let field_byte = |b: &u8| *b == b'\t' || (*b >= 0x20 && *b != 0x7f);
    if !line.iter().all(field_byte) {
        return None;
    }
    let colon = memchr::memchr(b':', line)?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    Some((name, line[colon + 1..].trim_ascii()))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `form-data; name="…"; filename="…"` (`filename*=UTF-8''…` wins over `filename`).
fn content_disposition(value: &str) -> Option<Part> {
    let start = value.find(';').unwrap_or(value.len());
    let params = params(&value[start..])?;
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    };
    let extended = get("filename*").and_then(|v| ext_value(v));
    Some(Part {
        name: get("name").cloned(),
        file_name: extended.or_else(|| get("filename").cloned()),
    })
}

const OWS: [char; 2] = [' ', '\t'];

/// `; key=value` parameters: a value is a quoted string (where `\"` is a quote and any other
/// backslash is itself, as browsers send Windows paths) or the text up to the next `;`.
pub(super) fn params(mut rest: &str) -> Option<Vec<(&str, String)>> {
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(OWS);
        if rest.is_empty() {
            return Some(params);
        }
        rest = rest.strip_prefix(';')?.trim_start_matches(OWS);
        if rest.is_empty() || rest.starts_with(';') {
            continue;
        }
        let (key, value) = rest.split_once('=')?;
        let key = key.trim_end_matches(OWS);
        if key.is_empty() || !key.bytes().all(is_tchar) {
            return None;
        }
        let value = value.trim_start_matches(OWS);
        let parsed = match value.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let end = value.find(';').unwrap_or(value.len());
                (value[..end].trim_end_matches(OWS).to_owned(), &value[end..])
            }
        };
        params.push((key, parsed.0));
        rest = parsed.1;
    }
}

/// A quoted string after its opening quote: its text, and what follows the closing quote.
fn quoted_string(s: &str) -> Option<(String, &str)> {
    let bytes = s.as_bytes();
    let mut text = Vec::new();
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'"' => return Some((String::from_utf8(text).ok()?, s.get(at + 1..)?)),
            b'\\' if bytes.get(at + 1) == Some(&b'"') => {
                text.push(b'"');
                at += 2;
            }
            _ => {
                text.push(b);
                at += 1;
            }
        }
    }
    None
}

/// RFC 8187 `charset'language'percent-encoded`, in UTF-8 or ISO-8859-1.
fn ext_value(value: &str) -> Option<String> {
    let (charset, rest) = value.split_once('\'')?;
    let (_language, encoded) = rest.split_once('\'')?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut input = encoded.bytes();
    while let Some(b) = input.next() {
        bytes.push(match b {
            b'%' => {
                let hex = [input.next()?, input.next()?];
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            _ => b,
        });
    }
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}
