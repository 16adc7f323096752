//! `GET /health`: a real database query and a real write in the data directory.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::storage::free_bytes;

#[handler]
pub async fn health(state: Data<&Arc<AppState>>) -> Response {
    let database_ok = state
        .db
        .run(|conn| -> crate::db::DbResult<i64> {
            Ok(conn.query_row("SELECT 1", [], |r| r.get(0))?)
        })
        .await
        .is_ok();
    let dir = state.data_dir.clone();
    let storage = tokio::task::spawn_blocking(move || {
        dir.probe_writable().and_then(|_| free_bytes(&dir.root))
    })
    .await;
    let free = storage.ok().and_then(Result::ok);
    let healthy = database_ok && free.is_some();
    let body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": if database_ok { "ok" } else { "error" },
        "storage": { "free_bytes": free.unwrap_or(0), "writable": free.is_some() },
        "uptime_s": state.started.elapsed().as_secs(),
    });
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(body)
        .with_status(status)
        .with_header("cache-control", "no-store")
        .into_response()
}
