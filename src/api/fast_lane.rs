//! The fast lane of the two hottest routes: `GET` (and `HEAD`) of
//! `/api/v1/files/{id}/download` and `/content` (declared in [`routes::FAST_LANE`]) with one
//! `Authorization: Bearer` credential and no query. It answers in two places: in front of
//! the poem stack (`serve`), and on the raw socket before hyper sees the request
//! (`http::wire`, through the [`Lane`] trait), where the bytes leave by `sendfile`.
//!
//! Through the whole stack (router, nested routers, load shedding, data, JSON limit, tus
//! headers, the OpenAPI operation and its extractors) a 64 KiB download spent more user
//! CPU on moving futures and routing than on the request itself. Here, in front of it all,
//! the same services answer it directly: the same `Auth::authenticate`, the same
//! `Drive::record` and the same `serve_entry`, under a load-shedding slot and with the
//! same log line and `X-Request-Id`. Anything else — another route or method, a query
//! (signed links), a cookie, no free slot, and every failure — goes down the full path,
//! which answers it exactly as it always has (failures are re-checked there, so error
//! responses have a single source).

use std::sync::Arc;

use poem::http::{header, Method};
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use super::content::plan_entry;
use super::extract::security::credential;
use super::routes::{self, Mode};
use crate::http::byte_serving::Planned;
use crate::http::middleware::{RequestLog, Shed};
use crate::http::wire::Lane;
use crate::ids::EntryId;
use crate::service::auth::Auth;
use crate::service::drive::Drive;

/// What the lane needs: the services it calls and the shedding slots it shares.
pub struct FastLane {
    pub auth: Arc<Auth>,
    pub drive: Arc<Drive>,
    pub shed: Shed,
}

impl FastLane {
    /// Serves `req` here when it qualifies and succeeds, else passes it to `full`.
    pub async fn serve<E: Endpoint>(&self, full: Arc<E>, req: Request) -> poem::Result<Response> {
        if let Some(planned) = self.take(&req).await {
            return Ok(planned.into_response());
        }
        full.call(req).await.map(IntoResponse::into_response)
    }

    /// The lane's answer, its head final and logged, if `req` qualifies and succeeds.
    async fn take(&self, req: &Request) -> Option<Planned> {
        let ticket = qualifies(req)?;
        let admitted = self.shed.try_admit_light()?;
        let log = RequestLog::begin(req, routes::LOG_REDACT);
        let served = self.answer(req, ticket, &log).instrument(log.span.clone());
        let mut planned = served.await?;
        log.finish_head(planned.status, &mut planned.headers);
        drop(admitted);
        Some(planned)
    }

    async fn answer(&self, req: &Request, ticket: Ticket<'_>, log: &RequestLog) -> Option<Planned> {
        let principal = self.auth.authenticate(ticket.token).await.ok()?;
        log.user
            .0
            .store(principal.id().0, std::sync::atomic::Ordering::Relaxed);
        let entry = self.drive.record(principal.id(), ticket.id).await.ok()?;
        if entry.is_folder {
            return None;
        }
        plan_entry(req, &self.drive, &entry, ticket.mode).await.ok()
    }
}

/// The same lane on the raw socket (`http::wire`), where its bodies leave by `sendfile`.
impl Lane for FastLane {
    fn wants(&self, method: &Method, target: &str) -> bool {
        route_of(method, target).is_some()
    }

    async fn answer(&self, req: Request) -> Option<Planned> {
        self.take(&req).await
    }
}

/// A request the lane may take: which file, which route, which token.
struct Ticket<'a> {
    id: EntryId,
    mode: Mode,
    token: &'a str,
}

fn qualifies(req: &Request) -> Option<Ticket<'_>> {
    if req.uri().query().is_some() {
        return None;
    }
    let (id, mode) = route_of(req.method(), req.uri().path())?;
    // The session cookie (with its CSRF rules) is the full path's business.
    if req.headers().contains_key(header::COOKIE) {
        return None;
    }
    let token = credential(req).ok()?;
    Some(Ticket { id, mode, token })
}

/// The file and byte route of a `GET` or `HEAD` of `target` (a path, with no query), if it
/// is one of the lane's.
fn route_of(method: &Method, target: &str) -> Option<(EntryId, Mode)> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let (id, route) = target.strip_prefix(routes::FILES)?.split_once('/')?;
    let (_, mode) = routes::FAST_LANE.iter().find(|(tail, _)| *tail == route)?;
    // Digits only: anything else (signs, spaces, a query) is for the full path to refuse.
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((EntryId(id.parse().ok()?), *mode))
}
