//! The properties that the parsers of untrusted input must keep, as functions of raw bytes:
//! the cargo-fuzz targets in `fuzz/` call them on generated inputs and `tests/fuzz.rs`
//! replays the committed corpus through them. Each panics when a property breaks. Not an
//! API: nothing in the server calls this module.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use poem::http::{header, HeaderMap, HeaderValue};
use poem_openapi::types::ParseFromParameter;
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use crate::api::tus::{parse_checksum, parse_metadata};
use crate::http::byte_serving::{plan_ranges, resolve, Ranges};
use crate::http::multipart::testing::parse_form;
use crate::secret::ServerSecret;
use crate::service::drive::names::{parse_path, FileName};
use crate::service::drive::DriveError;
use crate::service::tokens::{Claims, TokenCodec, TokenType, ISSUER};
use crate::service::uploads::partial::Checksum;
use crate::service::validate::{display_name, Username};
use crate::service::AuthError;

/// The fixed secret the `jwt` target signs and verifies with.
pub const JWT_KEY: &[u8] = b"fuzzing-key-0123456789abcdef0123";

/// `Range` against a representation: the first 8 bytes are its size (little-endian, also
/// tried modulo 4096 so small files get their share), the rest is the header value.
/// Planned parts lie within the size, are sorted, disjoint and not adjacent, at most 16,
/// never more bytes than the file, and cover exactly the bytes `resolve` selected.
pub fn ranges(data: &[u8]) {
    let (size, spec) = data.split_at(data.len().min(8));
    let mut raw = [0u8; 8];
    raw[..size.len()].copy_from_slice(size);
    let size = u64::from_le_bytes(raw);
    let Ok(value) = HeaderValue::from_bytes(spec) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::RANGE, value);
    for size in [size, size % 4096] {
        check_ranges(&headers, size);
    }
}

fn check_ranges(headers: &HeaderMap, size: u64) {
    let spec = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let resolved = spec.and_then(|s| resolve(s, size));
    if let Some(parts) = &resolved {
        assert!(parts.len() <= 16, "{spec:?}: more than 16 ranges");
        for &(a, b) in parts {
            assert!(
                a <= b && b < size,
                "{spec:?}/{size}: {a}-{b} outside the file"
            );
        }
    }
    match plan_ranges(headers, size) {
        Ranges::Full => {}
        Ranges::Unsatisfiable => assert_eq!(resolved, Some(vec![]), "{spec:?}/{size}"),
        Ranges::Parts(parts) => {
            assert!(!parts.is_empty(), "{spec:?}/{size}: no parts");
            for &(a, b) in &parts {
                assert!(
                    a <= b && b < size,
                    "{spec:?}/{size}: {a}-{b} outside the file"
                );
            }
            let gaps = parts.windows(2).all(|w| w[0].1 + 1 < w[1].0);
            assert!(
                gaps,
                "{spec:?}/{size}: unsorted, overlapping or adjacent {parts:?}"
            );
            let total = |p: &[(u64, u64)]| p.iter().map(|(a, b)| b - a + 1).sum::<u64>();
            assert!(total(&parts) <= size, "{spec:?}/{size}: amplified");
            let selected = resolved.as_deref().map(total);
            assert_eq!(Some(total(&parts)), selected, "{spec:?}/{size}: bytes lost");
        }
    }
}

/// Names, paths, usernames and display names from UTF-8 text. A name that validates is
/// 1–255 bytes of NFC with no `/`, `\`, NUL or control character, not `.` or `..`, and
/// validates again to itself; its numbered variants validate too. A path is its segments.
pub fn names(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(name) = check_name(text) {
        let n = data.len() as u32 % 1000 + 1;
        let numbered = name.numbered(n);
        let numbered = numbered.unwrap_or_else(|e| panic!("{name:?} numbered {n}: {e}"));
        assert!(
            numbered.as_str().contains(&format!(" ({n})")),
            "{numbered:?}"
        );
        let _ = check_name(numbered.as_str());
    }
    let trimmed = text.strip_prefix('/').unwrap_or(text);
    match parse_path(text) {
        Ok(segments) => {
            let raw: Vec<&str> = trimmed.split('/').collect();
            assert_eq!(segments.len(), raw.len(), "{text:?}");
            for (segment, raw) in segments.iter().zip(raw) {
                assert_eq!(Some(segment), check_name(raw).ok().as_ref(), "{text:?}");
            }
        }
        Err(e) => {
            assert!(matches!(e, DriveError::InvalidName(_)), "{text:?}: {e}");
            let bad = trimmed.is_empty() || trimmed.split('/').any(|s| check_name(s).is_err());
            assert!(bad, "{text:?} refused although every segment is a name");
        }
    }
    if let Ok(user) = Username::parse(text) {
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
        assert!((3..=32).contains(&user.as_str().len()), "{text:?}");
        assert!(user.as_str().chars().all(ok), "{text:?}");
    }
    if let Ok(shown) = display_name(text) {
        assert_eq!(shown, text.trim(), "{text:?}");
        assert!((1..=64).contains(&shown.chars().count()), "{text:?}");
        assert!(!shown.chars().any(char::is_control), "{text:?}");
    }
}

/// `FileName::parse` and the properties of what it accepts.
fn check_name(text: &str) -> Result<FileName, DriveError> {
    let name = FileName::parse(text);
    let Ok(valid) = &name else {
        assert!(matches!(name, Err(DriveError::InvalidName(_))), "{text:?}");
        return name;
    };
    let s = valid.as_str();
    assert!(!s.is_empty() && s.len() <= 255, "{text:?}: length");
    assert!(s != "." && s != "..", "{text:?}: dot name");
    let forbidden = |c: char| c == '/' || c == '\\' || c == '\0' || c.is_control();
    assert!(!s.chars().any(forbidden), "{text:?}: forbidden character");
    assert_eq!(
        s,
        text.nfc().collect::<String>(),
        "{text:?}: not its NFC form"
    );
    assert_eq!(
        FileName::parse(s).ok().as_ref(),
        Some(valid),
        "{text:?}: not stable"
    );
    name
}

/// The tus headers: the first byte picks `Upload-Metadata`, `Upload-Checksum` or
/// `Upload-Offset`, the rest is the value. Metadata that parses round-trips through its
/// encoding; a checksum has its algorithm's length and round-trips; an offset is exactly
/// the decimal digits it was sent as.
pub fn tus_headers(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 3 {
        0 => metadata(text),
        1 => checksum(text),
        _ => offset(text),
    }
}

fn metadata(text: &str) {
    let Ok(pairs) = parse_metadata(text) else {
        return;
    };
    for key in pairs.keys() {
        let clean = !key.is_empty() && !key.contains([',', ' ']);
        assert!(clean, "{text:?}: key {key:?}");
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| match v.is_empty() {
            true => k.clone(),
            false => format!("{k} {}", STANDARD.encode(v)),
        })
        .collect();
    let again = parse_metadata(&encoded.join(","));
    assert_eq!(again.ok(), Some(pairs), "{text:?}: does not round-trip");
}

fn checksum(text: &str) {
    let Ok(parsed) = parse_checksum(text) else {
        return;
    };
    let (algorithm, digest, len) = match &parsed {
        Checksum::Sha1(d) => ("sha1", d, 20),
        Checksum::Sha256(d) => ("sha256", d, 32),
    };
    assert_eq!(digest.len(), len, "{text:?}");
    let again = parse_checksum(&format!("{algorithm} {}", STANDARD.encode(digest)));
    assert_eq!(again.ok(), Some(parsed), "{text:?}: does not round-trip");
}

/// `Upload-Offset` (and `Upload-Length`) are `Header<u64>`: poem-openapi's parser.
fn offset(text: &str) {
    let parsed = <u64 as ParseFromParameter>::parse_from_parameter(text);
    let digits = text.strip_prefix('+').unwrap_or(text);
    let decimal = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let plain = match digits.trim_start_matches('0') {
        "" => "0",
        plain => plain,
    };
    let overflow = plain.len() > 20 || (plain.len() == 20 && plain > "18446744073709551615");
    match parsed {
        Ok(n) => {
            assert!(decimal, "{text:?} accepted as {n}");
            assert_eq!(n.to_string(), plain, "{text:?}");
        }
        Err(_) => assert!(!decimal || overflow, "{text:?} refused"),
    }
}

/// Bearer JWTs through the real verification with [`JWT_KEY`]. Bit 0 of the first byte:
/// the rest is the token itself, or a header and a payload (split at the first `0xFF`)
/// signed with the right key, so the claims checks are reached. Bit 1: refresh expected.
/// Whatever is accepted is HS256, of the expected type and issuer, unexpired, and
/// verifies again once re-signed; whatever is refused is `invalid_token` or `token_expired`.
pub fn jwt(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let expected = match mode & 2 {
        0 => TokenType::Access,
        _ => TokenType::Refresh,
    };
    let token = match mode & 1 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        _ => signed(rest),
    };
    let codec = TokenCodec::new(&ServerSecret::new(JWT_KEY));
    let now = chrono::Utc::now().timestamp();
    let claims = match codec.verify(&token, expected) {
        Ok(claims) => claims,
        Err(AuthError::InvalidToken | AuthError::TokenExpired) => return,
        Err(e) => panic!("{token:?}: refused with {e:?}"),
    };
    let alg = jsonwebtoken::decode_header(&token).map(|h| h.alg);
    assert_eq!(alg.ok(), Some(jsonwebtoken::Algorithm::HS256), "{token:?}");
    assert_eq!(claims.typ, expected, "{token:?}");
    assert_eq!(claims.iss, ISSUER, "{token:?}");
    assert!(
        claims.exp + 5 >= now,
        "{token:?}: expired at {}",
        claims.exp
    );
    resigned(&codec, &claims, expected);
}

fn resigned(codec: &TokenCodec, claims: &Claims, expected: TokenType) {
    let token = codec.sign(claims);
    let again = token.and_then(|t| codec.verify(&t, expected));
    let same = again.is_ok_and(|c| {
        (c.sub, c.jti, c.sid) == (claims.sub.clone(), claims.jti.clone(), claims.sid)
    });
    assert!(same, "{claims:?} does not verify once re-signed");
}

/// `b64(header).b64(payload).HS256` with [`JWT_KEY`], from `header 0xFF payload`.
fn signed(rest: &[u8]) -> String {
    let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
    let (head, payload) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(head),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(JWT_KEY) else {
        return input;
    };
    mac.update(input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{input}.{signature}")
}

/// The boundary of the `multipart` target's bodies (short, so that generated inputs hit it).
pub const FORM_BOUNDARY: &str = "xyz";

/// A `multipart/form-data` body with boundary [`FORM_BOUNDARY`], after a first byte that
/// seeds how it is cut into frames. Read to the end, every field too, it never panics; cut
/// into frames and read in 7-byte reads, or whole and read by chunks, it gives the same
/// parts, bytes and error; no part's content holds the delimiter.
pub fn multipart(data: &[u8]) {
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let whole = parse_form(vec![Bytes::copy_from_slice(body)], FORM_BOUNDARY, false);
    let cut = parse_form(cut_into_frames(body, seed), FORM_BOUNDARY, true);
    assert_eq!(cut, whole, "{body:?} cut with seed {seed}");
    let delimiter = format!("\r\n--{FORM_BOUNDARY}");
    for part in whole.iter().flatten() {
        let found = memchr::memmem::find(&part.data, delimiter.as_bytes());
        assert!(found.is_none(), "{body:?}: {part:?} holds the delimiter");
    }
}

/// `body` in frames of 1 to `seed % 64 + 1` bytes (lengths from a xorshift seeded by
/// `seed`), with an empty frame now and then.
fn cut_into_frames(body: &[u8], seed: u8) -> Vec<Bytes> {
    let body = Bytes::copy_from_slice(body);
    let longest = usize::from(seed % 64) + 1;
    let mut state = 0x9e37_7900 | u32::from(seed);
    let (mut frames, mut at) = (Vec::new(), 0);
    while at < body.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        if state % 11 == 0 {
            frames.push(Bytes::new());
        }
        let len = (state as usize % longest + 1).min(body.len() - at);
        frames.push(body.slice(at..at + len));
        at += len;
    }
    frames
}

/// A request head read off the raw socket by the wire lane (`http::wire::head`), for any
/// target: it never panics; a head it takes ends on a blank line within the bytes, is a
/// `GET` or `HEAD` with no header that gives it a body or changes the protocol, and is
/// taken again, the same length, from exactly its own bytes; bytes it leaves to hyper or
/// waits on are never taken from a longer read of the same start.
pub fn wire_head(data: &[u8]) {
    use crate::http::wire::head::{parse, Head};
    use poem::http::Method;
    use poem::web::{LocalAddr, RemoteAddr};
    let addr = poem::Addr::SocketAddr(([127, 0, 0, 1], 1).into());
    let addrs = (&LocalAddr(addr.clone()), &RemoteAddr(addr));
    let wants = |method: &Method, _: &str| *method == Method::GET || *method == Method::HEAD;
    let Head::Ours(parsed) = parse(data, wants, addrs) else {
        return;
    };
    assert!(parsed.len <= data.len() && data[..parsed.len].ends_with(b"\n"));
    let req = &parsed.request;
    assert!(req.method() == Method::GET || req.method() == Method::HEAD);
    for name in [
        "content-length",
        "transfer-encoding",
        "expect",
        "upgrade",
        "te",
    ] {
        assert!(
            !req.headers().contains_key(name),
            "{name} in a lane request"
        );
    }
    match parse(&data[..parsed.len], wants, addrs) {
        Head::Ours(again) => assert_eq!(again.len, parsed.len),
        _ => panic!("its own bytes are not taken again"),
    }
    for cut in 0..parsed.len {
        assert!(
            !matches!(parse(&data[..cut], wants, addrs), Head::Ours(_)),
            "taken at {cut}"
        );
    }
}
