//! Builds the application: state (database, caches, services) and the route tree (API,
//! docs, health, web UI), and serves it.

use std::sync::Arc;
use std::time::Duration;

use poem::{get, Endpoint, EndpointExt, Route};

use crate::api;
use crate::api::extract::security::ProxyTrust;
use crate::api::routes;
use crate::http::{middleware, spa};
use crate::service::Services;

/// The running instance's services (built by [`Services::open`]).
pub type AppState = Services;

/// The whole HTTP application.
pub fn build(state: Arc<AppState>) -> impl Endpoint<Output = poem::Response> {
    build_with_lane(state).0
}

/// The whole HTTP application, and its fast lane for the wire (`http::wire`), which shares
/// the application's load-shedding slots.
pub fn build_with_lane(
    state: Arc<AppState>,
) -> (
    impl Endpoint<Output = poem::Response>,
    Arc<api::fast_lane::FastLane>,
) {
    let api = api::service(&state);
    let documents = api::meta::Documents::new(&api);
    let allowed = Arc::new(routes::Allowed::from_operations());
    let trust = ProxyTrust(state.config.server.trusted_proxies.clone());
    let json_limit = state.config.limits.json_body_bytes;
    let shed = middleware::Shed::new(&state.config.limits, routes::weigh);
    let lane = Arc::new(api::fast_lane::FastLane {
        auth: state.auth.clone(),
        drive: state.drive.clone(),
        shed: shed.clone(),
    });
    let api = api.around(move |ep, req| middleware::limit_json(ep, req, json_limit));
    let wire_lane = lane.clone();
    let route = Route::new()
        .nest(routes::BASE, api)
        .nest(crate::dav::PREFIX, crate::dav::Dav::new(&state))
        .nest("/api", middleware::api_not_found)
        .at(routes::HEALTH, get(api::health::health));
    let endpoint = documents
        .mount(route)
        .nest("/", spa::Spa)
        .with(shed)
        .data(state.auth.clone())
        .data(state.health.clone())
        .data(trust)
        .data(state)
        .around(api::tus::headers)
        .around(move |ep, req| middleware::allow_on_405(ep, req, allowed.clone()))
        .around(|ep, req| middleware::log_and_shape(ep, req, routes::LOG_REDACT))
        .around(move |full, req| {
            let lane = lane.clone();
            async move { lane.serve(full, req).await }
        });
    (endpoint, wire_lane)
}

/// Serves until Ctrl-C or SIGTERM, then drains for up to 10 s.
pub async fn serve(state: Arc<AppState>) -> std::io::Result<()> {
    let bind = state.config.server.bind;
    // Held shared until the process exits: `hoard migrate-blobs` needs it exclusively.
    let _serving = state.data_dir.try_lock(false)?.ok_or_else(|| {
        std::io::Error::other(
            "hoard migrate-blobs is moving this data directory's blobs; serve once it is done",
        )
    })?;
    // Only the server may do this: other commands run beside a live server.
    let removed = state.drive.store().clean_tmp()?;
    if removed > 0 {
        tracing::info!(
            removed,
            "removed temp files of uploads interrupted by the last stop"
        );
    }
    spawn_housekeeping(state.clone());
    spawn_upload_sweeper(state.clone());
    tracing::info!(%bind, data_dir = %state.data_dir.root.display(), "hoard {} serving", env!("CARGO_PKG_VERSION"));
    let (endpoint, lane) = build_with_lane(state);
    crate::http::server::run(
        bind,
        endpoint,
        lane,
        shutdown_signal(),
        Duration::from_secs(10),
    )
    .await
}

/// Hourly purge of expired revocations, refresh tokens, sessions, WebDAV locks, old
/// trash and versions past retention (the first round runs at start-up).
fn spawn_housekeeping(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match state.auth.purge_expired().await {
                Ok(removed) => tracing::debug!(removed, "purged expired tokens"),
                Err(e) => tracing::warn!(error = %e, "purge of expired tokens failed"),
            }
            match state.locks.sweep().await {
                Ok(removed) => tracing::debug!(removed, "removed expired WebDAV locks"),
                Err(e) => tracing::warn!(error = %e, "removal of expired WebDAV locks failed"),
            }
            match state.drive.purge_expired_trash().await {
                Ok(purged) => tracing::debug!(purged, "purged expired trash"),
                Err(e) => tracing::warn!(error = %e, "purge of expired trash failed"),
            }
            match state.drive.sweep_versions().await {
                Ok(dropped) => tracing::debug!(dropped, "dropped versions past retention"),
                Err(e) => tracing::warn!(error = %e, "sweep of old versions failed"),
            }
        }
    });
}

/// Expires unfinished resumable uploads and removes stray upload files, at least once a
/// minute (more often when the expiry is shorter). With an object store, it also deletes
/// released objects and those of uploads that died: an intent older than the upload expiry
/// belongs to no upload that can still finish.
fn spawn_upload_sweeper(state: Arc<AppState>) {
    let expiry = state.config.storage.upload_expiry_s;
    let period = Duration::from_secs((expiry / 2).clamp(1, 60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            match state.uploads.sweep().await {
                Ok((0, 0)) => {}
                Ok((expired, strays)) => tracing::info!(expired, strays, "swept resumable uploads"),
                Err(e) => tracing::warn!(error = %e, "sweep of resumable uploads failed"),
            }
            match state.drive.sweep_objects(expiry).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "deleted unreferenced objects"),
                Err(e) => tracing::warn!(error = %e, "sweep of unreferenced objects failed"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
