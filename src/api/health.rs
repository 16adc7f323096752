//! `GET /health`: what `service::health` finds, never cached.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{handler, IntoResponse, Response};
use serde_json::json;

use crate::service::health::Health;

#[handler]
pub async fn health(health: Data<&Arc<Health>>) -> Response {
    let report = health.check().await;
    let healthy = report.healthy();
    let mut body = json!({
        "status": if healthy { "ok" } else { "degraded" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": if report.database_ok { "ok" } else { "error" },
        "storage": {
            "free_bytes": report.free_bytes.unwrap_or(0),
            "writable": report.free_bytes.is_some(),
        },
        "uptime_s": report.uptime_s,
    });
    if let Some(ok) = report.objects_ok {
        body["storage"]["object_store"] = json!(if ok { "ok" } else { "unreachable" });
    }
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
