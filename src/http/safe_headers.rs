//! The headers that keep user bytes inert on the app's origin (SPEC §5): every
//! byte-serving response carries `nosniff` and a sandboxing `Content-Security-Policy`.

use poem::http::header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use poem::http::{HeaderName, HeaderValue};

/// The sandbox CSP every byte-serving response carries (SPEC §5).
pub const CSP_SANDBOX: &str = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";
/// The CSP of a PDF shown inline: no `sandbox`, because Chromium's built-in PDF viewer refuses
/// to run in a sandboxed document and shows a blank page (PrivateBin/PrivateBin#610, #1552;
/// webtorrent/instant.io#63). Its viewer is an internal `<embed>` of the PDF's own URL, which
/// `object-src` governs (crbug.com/271452), so `object-src 'self'` is allowed instead of falling
/// back to `'none'`. What remains safe: the response is `application/pdf` + `nosniff` (never
/// an HTML document), and script inside a PDF runs in the viewer's own sandbox, not our origin.
pub const CSP_PDF: &str = "default-src 'none'; object-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/// `X-Content-Type-Options: nosniff` and the `Content-Security-Policy` for a byte-serving
/// response; `pdf_inline` only when a PDF is served inline (see [`CSP_PDF`]).
pub fn safe_headers(pdf_inline: bool) -> Vec<(HeaderName, HeaderValue)> {
    let csp = if pdf_inline { CSP_PDF } else { CSP_SANDBOX };
    vec![
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)),
    ]
}
