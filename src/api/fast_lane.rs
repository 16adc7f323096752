//! The fast lane of the two hottest routes: `GET /api/v1/files/{id}/download` and
//! `/content` (declared in [`routes::FAST_LANE`]) with one `Authorization: Bearer`
//! credential and no query.
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

use super::content::serve_entry;
use super::extract::security::credential;
use super::routes::{self, Mode};
use crate::http::middleware::{RequestLog, Shed};
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
        if let Some(ticket) = qualifies(&req) {
            if let Some(admitted) = self.shed.try_admit_light() {
                let log = RequestLog::begin(&req, routes::LOG_REDACT);
                let served = self.answer(&req, ticket, &log).instrument(log.span.clone());
                if let Some(response) = served.await {
                    drop(admitted);
                    return Ok(log.finish(response));
                }
            }
        }
        full.call(req).await.map(IntoResponse::into_response)
    }

    async fn answer(
        &self,
        req: &Request,
        ticket: Ticket<'_>,
        log: &RequestLog,
    ) -> Option<Response> {
        let principal = self.auth.authenticate(ticket.token).await.ok()?;
        log.user
            .0
            .store(principal.id().0, std::sync::atomic::Ordering::Relaxed);
        let entry = self.drive.record(principal.id(), ticket.id).await.ok()?;
        if entry.is_folder {
            return None;
        }
        let body = serve_entry(req, &self.drive, &entry, ticket.mode)
            .await
            .ok()?;
        Some(body.into_response())
    }
}

/// A request the lane may take: which file, which route, which token.
struct Ticket<'a> {
    id: EntryId,
    mode: Mode,
    token: &'a str,
}

fn qualifies(req: &Request) -> Option<Ticket<'_>> {
    if req.method() != Method::GET || req.uri().query().is_some() {
        return None;
    }
    let (id, route) = req
        .uri()
        .path()
        .strip_prefix(routes::FILES)?
        .split_once('/')?;
    let (_, mode) = routes::FAST_LANE.iter().find(|(tail, _)| *tail == route)?;
    // Digits only: anything else (signs, spaces) is for the full path to refuse.
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = EntryId(id.parse().ok()?);
    // The session cookie (with its CSRF rules) is the full path's business.
    if req.headers().contains_key(header::COOKIE) {
        return None;
    }
    let token = credential(req).ok()?;
    Some(Ticket {
        id,
        mode: *mode,
        token,
    })
}
