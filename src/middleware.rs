//! Cross-cutting HTTP concerns: the per-request log line with a request id, mapping every
//! error onto the SPEC's JSON shape, and the JSON body limit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use poem::http::{header, Method};
use poem::{handler, Body, Endpoint, IntoResponse, Request, Response};
use tokio::io::AsyncReadExt;
use tracing::Instrument;

use crate::api::payloads::{declared_length, has_body};
use crate::api::security::LoggedUser;
use crate::error::{self, ApiError};

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Logs one line per request (method, path without query, status, bytes, duration, user)
/// and turns every error into the JSON error shape, inside the request's span.
pub async fn log_and_shape<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    let user = LoggedUser::default();
    req.extensions_mut().insert(user.clone());
    let method = req.method().clone();
    // The query is left out: it can carry signed-link signatures.
    let path = redact_share_token(req.uri().path());
    let span = tracing::info_span!("request", id);
    let started = Instant::now();
    let result = ep.call(req).instrument(span.clone()).await;
    let mut response = span.in_scope(|| match result {
        Ok(response) => response.into_response(),
        Err(error) => error::to_response(error),
    });
    if let Ok(value) = id.to_string().parse() {
        response.headers_mut().insert("x-request-id", value);
    }
    let (response, size) = measure(response);
    let bytes = size.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let user_id = user.0.load(Ordering::Relaxed);
    span.in_scope(|| {
        tracing::info!(
            %method, path, status = response.status().as_u16(), bytes,
            ms = %format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
            user = (user_id != 0).then_some(user_id),
            "request"
        )
    });
    Ok(response)
}

/// A share's token is its password-equivalent: the log keeps only its first 4 characters
/// (`/s/{token}` pages and `/api/v1/public/shares/{token}/…`).
fn redact_share_token(path: &str) -> String {
    let prefix = ["/api/v1/public/shares/", "/s/"]
        .into_iter()
        .find(|prefix| path.starts_with(prefix));
    let Some(prefix) = prefix else {
        return path.to_owned();
    };
    let rest = &path[prefix.len()..];
    let (token, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let kept: String = token.chars().take(4).collect();
    format!("{prefix}{kept}…{tail}")
}

/// Caps JSON bodies at `limit` bytes (413 `too_large`), whether or not they declare a
/// length, and treats a body-less write without Content-Type as an empty JSON body so
/// optional bodies work from plain `curl -X POST`.
pub async fn limit_json<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    limit: u64,
) -> poem::Result<Response> {
    let declared = declared_length(&req);
    let is_write = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if is_write && req.content_type().is_none() && !has_body(&req) {
        req.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
    }
    let is_json = req.content_type().is_some_and(|ct| ct.contains("json"));
    if is_json {
        if declared.is_some_and(|len| len > limit) {
            return Err(ApiError::too_large(format!("JSON body over {limit} bytes")).into());
        }
        if declared.is_none() {
            let mut bytes = Vec::new();
            let reader = req.take_body().into_async_read();
            reader
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            if bytes.len() as u64 > limit {
                return Err(ApiError::too_large(format!("JSON body over {limit} bytes")).into());
            }
            req.set_body(Body::from(bytes));
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// The body size when it is known up front (buffered bodies and declared lengths);
/// streamed bodies of unknown length log `-`.
fn measure(response: Response) -> (Response, Option<u64>) {
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let (parts, body) = response.into_parts();
    let boxed: BoxBody<Bytes, std::io::Error> = body.into();
    let exact = http_body::Body::size_hint(&boxed).exact();
    (
        Response::from_parts(parts, Body::from(boxed)),
        declared.or(exact),
    )
}

/// Any `/api/...` path that no route claims.
#[handler]
pub fn api_not_found() -> poem::Result<Response> {
    Err(ApiError::not_found().into())
}

#[cfg(test)]
mod tests {
    use super::redact_share_token;

    #[test]
    fn share_tokens_are_cut_to_four_characters_in_the_log() {
        assert_eq!(
            redact_share_token("/api/v1/public/shares/AbCdEfGhIj/download"),
            "/api/v1/public/shares/AbCd…/download"
        );
        assert_eq!(redact_share_token("/s/AbCdEfGhIj"), "/s/AbCd…");
        assert_eq!(redact_share_token("/api/v1/files/3"), "/api/v1/files/3");
    }
}
