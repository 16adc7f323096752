//! Cross-cutting HTTP concerns: the per-request log line with a request id, mapping every
//! error onto the SPEC's JSON shape, the JSON body limit, and load shedding.
//!
//! What a particular route needs (which paths hide a secret in the log, which requests
//! weigh more for shedding) is not known here: the API declares it and hands it in as
//! values ([`Redact`], [`Shed::new`]'s `weigh`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use poem::http::{header, HeaderMap, Method, StatusCode};
use poem::{handler, Body, Endpoint, IntoResponse, Middleware, Request, Response};
use tokio::io::AsyncReadExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::config::LimitsConfig;
use crate::error::{self, ApiError};
use crate::http::request_body::{declared_length, has_body, linger};

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// Slot the request-log middleware puts in each request; authentication fills it with the
/// user id, and the log line reads it.
#[derive(Clone, Default)]
pub struct LoggedUser(pub Arc<std::sync::atomic::AtomicI64>);

/// Logs one line per request (method, path without query, status, bytes, duration, user)
/// and turns every error into the JSON error shape, inside the request's span.
pub async fn log_and_shape<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    redact: Redact,
) -> poem::Result<Response> {
    let log = RequestLog::begin(&req, redact);
    req.extensions_mut().insert(log.user.clone());
    let result = ep.call(req).instrument(log.span.clone()).await;
    let response = log.span.in_scope(|| match result {
        Ok(response) => response.into_response(),
        Err(error) => error::to_response(error),
    });
    Ok(log.finish(response))
}

/// The methods a path allows, as an `Allow` value; the API provides it (http never names
/// a route).
pub trait AllowTable: Send + Sync + 'static {
    fn allow(&self, path: &str) -> String;
}

/// Every 405 carries `Allow` (RFC 9110 §15.5.6), whichever layer refused the method.
pub async fn allow_on_405<E: Endpoint, A: AllowTable>(
    ep: Arc<E>,
    req: Request,
    allowed: Arc<A>,
) -> poem::Result<Response> {
    // A `Uri` clone shares its bytes: nothing is copied on the way to a 405.
    let uri = req.uri().clone();
    let mut response = match ep.call(req).await {
        Ok(response) => response.into_response(),
        Err(e) if e.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED => error::to_response(e),
        Err(e) => return Err(e),
    };
    let has_allow = response.headers().contains_key(header::ALLOW);
    if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED && !has_allow {
        if let Ok(value) = allowed.allow(uri.path()).parse() {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    Ok(response)
}

/// One request's id, span and log line, from its arrival to its response head.
pub struct RequestLog {
    id: u64,
    method: Method,
    path: String,
    pub user: LoggedUser,
    pub span: tracing::Span,
    started: Instant,
}

impl RequestLog {
    pub fn begin(req: &Request, redact: Redact) -> Self {
        let id = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
        Self {
            id,
            method: req.method().clone(),
            // The query is left out: it can carry signed-link signatures.
            path: redact.loggable(req.uri().path()),
            user: LoggedUser::default(),
            span: tracing::info_span!("request", id),
            started: Instant::now(),
        }
    }

    /// Stamps `X-Request-Id` on the response and writes the request's line.
    pub fn finish(self, mut response: Response) -> Response {
        self.stamp(response.headers_mut());
        let (response, size) = measure(response);
        self.line(response.status(), size);
        response
    }

    /// [`Self::finish`] for a response head that another writer sends (the wire lane):
    /// its size is its `Content-Length`.
    pub fn finish_head(self, status: StatusCode, headers: &mut HeaderMap) {
        self.stamp(headers);
        self.line(status, declared(headers));
    }

    fn stamp(&self, headers: &mut HeaderMap) {
        headers.insert("x-request-id", header::HeaderValue::from(self.id));
    }

    fn line(&self, status: StatusCode, size: Option<u64>) {
        if tracing::enabled!(tracing::Level::INFO) {
            let micros = self.started.elapsed().as_micros();
            let user = Loggable(Some(self.user.0.load(Ordering::Relaxed)).filter(|id| *id != 0));
            // Every part is free of control characters (see `begin`), so the line skips
            // the subscriber's escaping (src/http/logsink.rs).
            crate::http::logsink::info_line(
                format_args!("request{{id={}}}", self.id),
                module_path!(),
                format_args!(
                    "request method={} path={} status={} bytes={} ms={}.{:02} user={user}",
                    self.method,
                    self.path,
                    status.as_u16(),
                    Loggable(size),
                    micros / 1000,
                    micros % 1000 / 10,
                ),
            );
        }
    }
}

/// A number in the log line, or `-` when there is none.
struct Loggable<T>(Option<T>);

impl<T: std::fmt::Display> std::fmt::Display for Loggable<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("-"),
        }
    }
}

/// Path prefixes whose next segment is a secret (a share's token is its password
/// equivalent): the log line keeps only the segment's first 4 characters.
#[derive(Clone, Copy)]
pub struct Redact(pub &'static [&'static str]);

impl Redact {
    /// The path as the log line shows it: secrets cut short, and anything but printable
    /// ASCII escaped (URIs hold none, but the line is written without further escaping).
    pub fn loggable(self, path: &str) -> String {
        let path = self.redacted(path);
        if path.chars().all(|c| c.is_ascii_graphic() || c == '…') {
            path
        } else {
            path.escape_default().to_string()
        }
    }

    fn redacted(self, path: &str) -> String {
        let Some(prefix) = self.0.iter().find(|prefix| path.starts_with(*prefix)) else {
            return path.to_owned();
        };
        let rest = &path[prefix.len()..];
        let (secret, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let kept: String = secret.chars().take(4).collect();
        format!("{prefix}{kept}…{tail}")
    }
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

/// How long a request may wait for a slot before it is shed.
const QUEUE_WAIT: Duration = Duration::from_secs(1);
/// The `Retry-After` of a shed request, in seconds.
const SHED_RETRY_AFTER_S: u64 = 1;

/// Load shedding (SPEC §9: overload answers 503 with `Retry-After` and recovers by
/// itself). At most `limits.max_in_flight` requests are handled at once, counted until
/// their response head is ready, so a long download's body holds no slot; uploads and
/// password checks hold one for their whole run but may take at most half of them, so
/// they never starve cheap requests. A request that finds no slot within [`QUEUE_WAIT`]
/// gets 503 `unavailable` (its body is read and discarded first, as for any refused
/// upload). Which requests are exempt (the health probe) or heavy (password checks) the
/// API says, through `weigh`; a request streaming a non-JSON body in is heavy anyway.
#[derive(Clone)]
pub struct Shed {
    slots: Option<Slots>,
    weigh: fn(&Request) -> Weight,
}

/// How a request counts against the shedding slots, by its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Never limited.
    Exempt,
    /// Holds a slot until its response head is ready.
    Light,
    /// Also holds one of the heavy slots (at most half of them) for its whole run.
    Heavy,
}

/// A light request's admission (holds its slot until dropped; nothing when unlimited).
pub struct Admitted {
    _slot: Option<OwnedSemaphorePermit>,
}

#[derive(Clone)]
struct Slots {
    all: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
}

impl Shed {
    pub fn new(limits: &LimitsConfig, weigh: fn(&Request) -> Weight) -> Self {
        let max = limits.max_in_flight as usize;
        let slots = (max > 0).then(|| Slots {
            all: Arc::new(Semaphore::new(max)),
            heavy: Arc::new(Semaphore::new(max.div_ceil(2))),
        });
        Self { slots, weigh }
    }

    /// A slot for a light request if one is free right now; `None` sends the request
    /// down the full path, which waits for one or sheds.
    pub fn try_admit_light(&self) -> Option<Admitted> {
        match &self.slots {
            None => Some(Admitted { _slot: None }),
            Some(slots) => {
                let permit = slots.all.clone().try_acquire_owned().ok()?;
                Some(Admitted {
                    _slot: Some(permit),
                })
            }
        }
    }
}

impl<E: Endpoint> Middleware<E> for Shed {
    type Output = ShedEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ShedEndpoint {
            inner,
            shed: self.clone(),
        }
    }
}

pub struct ShedEndpoint<E> {
    inner: E,
    shed: Shed,
}

impl<E: Endpoint> Endpoint for ShedEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let weight = (self.shed.weigh)(&req);
        let slots = match &self.shed.slots {
            Some(slots) if weight != Weight::Exempt => slots,
            _ => return self.inner.call(req).await.map(IntoResponse::into_response),
        };
        let heavy = weight == Weight::Heavy || uploading(&req);
        let Some(_held) = admit(slots, heavy).await else {
            if has_body(&req) {
                let mut body = req.take_body().into_async_read();
                linger(tokio::io::copy(&mut body, &mut tokio::io::sink())).await;
            }
            return Err(ApiError::unavailable(SHED_RETRY_AFTER_S).into());
        };
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// The slots this request needs, or `None` when they are not free within [`QUEUE_WAIT`].
async fn admit(slots: &Slots, heavy: bool) -> Option<Vec<OwnedSemaphorePermit>> {
    let deadline = tokio::time::Instant::now() + QUEUE_WAIT;
    let mut held = Vec::with_capacity(2);
    if heavy {
        held.push(slot(&slots.heavy, deadline).await?);
    }
    held.push(slot(&slots.all, deadline).await?);
    Some(held)
}

async fn slot(
    semaphore: &Arc<Semaphore>,
    deadline: tokio::time::Instant,
) -> Option<OwnedSemaphorePermit> {
    let acquire = semaphore.clone().acquire_owned();
    tokio::time::timeout_at(deadline, acquire).await.ok()?.ok()
}

/// A file body streaming in holds its slot long whatever the server does.
fn uploading(req: &Request) -> bool {
    has_body(req) && !req.content_type().is_some_and(|ct| ct.contains("json"))
}

/// The body size when it is known up front (buffered bodies and declared lengths);
/// streamed bodies of unknown length log `-`.
/// The `Content-Length` a head declares.
fn declared(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
}

fn measure(response: Response) -> (Response, Option<u64>) {
    let declared = declared(response.headers());
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
    use super::Redact;

    #[test]
    fn secrets_after_a_listed_prefix_are_cut_to_four_characters() {
        let redact = Redact(&["/secret/", "/k/"]);
        assert_eq!(
            redact.loggable("/secret/AbCdEfGhIj/download"),
            "/secret/AbCd…/download"
        );
        assert_eq!(redact.loggable("/k/AbCdEfGhIj"), "/k/AbCd…");
        assert_eq!(redact.loggable("/k/Ab"), "/k/Ab…");
        assert_eq!(redact.loggable("/other/AbCdEfGhIj"), "/other/AbCdEfGhIj");
        assert_eq!(Redact(&[]).loggable("/k/AbCdEfGhIj"), "/k/AbCdEfGhIj");
    }
}
