//! Builds the application: state (database, caches, services) and the route tree (API,
//! docs, health, web UI), and serves it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::{get, Endpoint, EndpointExt, Route};

use crate::api::security::ProxyTrust;
use crate::config::{Config, ConfigError};
use crate::db::{Db, DbError};
use crate::service::accounts::Accounts;
use crate::service::auth::Auth;
use crate::service::cache::Caches;
use crate::service::drive::Drive;
use crate::service::links::LinkSigner;
use crate::service::shares::Shares;
use crate::service::tokens::TokenCodec;
use crate::service::uploads::Uploads;
use crate::storage::DataDir;
use crate::store::BlobStore;
use crate::{api, health, middleware, web};

/// Everything a request may need, built once at start-up.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub data_dir: DataDir,
    pub caches: Arc<Caches>,
    pub accounts: Arc<Accounts>,
    pub auth: Arc<Auth>,
    pub drive: Arc<Drive>,
    pub links: Arc<LinkSigner>,
    pub uploads: Arc<Uploads>,
    pub shares: Arc<Shares>,
    pub started: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("data directory: {0}")]
    DataDir(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbError),
}

impl AppState {
    /// Creates the data directory, opens and migrates the database, loads the JWT secret.
    pub fn open(config: Config) -> Result<Arc<Self>, StartupError> {
        let data_dir = DataDir::open(&config.storage.data_dir)?;
        let db = Db::open(&data_dir.database())?;
        let secret = data_dir.load_or_create_secret(&config.auth.jwt_secret)?;
        let links = Arc::new(LinkSigner::new(&secret));
        let caches = Arc::new(Caches::default());
        let store = Arc::new(BlobStore::new(data_dir.blobs(), data_dir.tmp()));
        let max_upload = Some(config.limits.max_upload_bytes).filter(|max| *max > 0);
        let drive = Arc::new(Drive::new(
            db.clone(),
            store,
            data_dir.thumbs(),
            max_upload,
            config.storage.trash_days,
        ));
        let accounts = Arc::new(Accounts::new(db.clone(), caches.clone(), drive.clone()));
        let uploads = Arc::new(Uploads::new(
            db.clone(),
            drive.clone(),
            data_dir.uploads(),
            config.storage.upload_expiry_s,
        ));
        let shares = Arc::new(Shares::new(
            db.clone(),
            drive.clone(),
            accounts.passwords().clone(),
            &secret,
            &config.auth,
        ));
        let auth = Arc::new(Auth::new(
            db.clone(),
            caches.clone(),
            TokenCodec::new(&secret),
            accounts.clone(),
            &config.auth,
        ));
        Ok(Arc::new(Self {
            config,
            db,
            data_dir,
            caches,
            accounts,
            auth,
            drive,
            links,
            uploads,
            shares,
            started: Instant::now(),
        }))
    }
}

/// The whole HTTP application.
pub fn build(state: Arc<AppState>) -> impl Endpoint<Output = poem::Response> {
    let api = api::service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let redoc = api.redoc();
    let trust = ProxyTrust(state.config.trusted_proxy_addrs().unwrap_or_default());
    let json_limit = state.config.limits.json_body_bytes;
    let shed = middleware::Shed::new(&state.config.limits);
    let lane = Arc::new(api::fast_lane::FastLane {
        auth: state.auth.clone(),
        drive: state.drive.clone(),
        shed: shed.clone(),
    });
    Route::new()
        .nest("/api/v1", api)
        .nest("/api", middleware::api_not_found)
        .at("/health", get(health::health))
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/redoc", redoc)
        .nest("/", web::Spa)
        .with(shed)
        .data(state.auth.clone())
        .data(trust)
        .data(state)
        .around(move |ep, req| middleware::limit_json(ep, req, json_limit))
        .around(api::tus::headers)
        .around(middleware::log_and_shape)
        .around(move |full, req| {
            let lane = lane.clone();
            async move { lane.serve(full, req).await }
        })
}

/// Serves until Ctrl-C or SIGTERM, then drains for up to 10 s.
pub async fn serve(state: Arc<AppState>) -> std::io::Result<()> {
    let bind = state.config.bind_addr().map_err(std::io::Error::other)?;
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
    crate::server::run(
        bind,
        build(state),
        shutdown_signal(),
        Duration::from_secs(10),
    )
    .await
}

/// Hourly purge of expired revocations, refresh tokens, sessions and old trash.
fn spawn_housekeeping(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match state.auth.purge_expired().await {
                Ok(removed) => tracing::debug!(removed, "purged expired tokens"),
                Err(e) => tracing::warn!(error = %e, "purge of expired tokens failed"),
            }
            match state.drive.purge_expired_trash().await {
                Ok(purged) => tracing::debug!(purged, "purged expired trash"),
                Err(e) => tracing::warn!(error = %e, "purge of expired trash failed"),
            }
        }
    });
}

/// Expires unfinished resumable uploads and removes stray upload files, at least once a
/// minute (more often when the expiry is shorter).
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
