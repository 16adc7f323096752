//! Facts about a request's body that the middleware and the upload handlers share: its
//! declared length, whether it has one at all, and the lingering close of a refused upload.

use poem::Request;

/// The request's `Content-Length`, when it declares one.
pub fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
}

/// Whether the request carries a body: a non-zero length, or chunked framing.
pub fn has_body(req: &Request) -> bool {
    declared_length(req).is_some_and(|n| n > 0)
        || req
            .headers()
            .contains_key(poem::http::header::TRANSFER_ENCODING)
}

/// How long a refused upload's remaining body is read and discarded before answering.
/// Without it the client may still be sending when the connection closes, and sees a reset
/// instead of the error (nginx calls this lingering close).
const LINGER: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs `drain` (reading a refused body to its end) for at most [`LINGER`].
pub async fn linger<F: std::future::Future>(drain: F) {
    let _ = tokio::time::timeout(LINGER, drain).await;
}
