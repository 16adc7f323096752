//! The one error shape of SPEC §2, `{"code","message","fields"?}`, and the mapping of
//! framework errors (parse errors, unknown routes, wrong methods) onto it. Service errors
//! are mapped in `service::error_shape`; every error body of the server is written here.

use std::collections::BTreeMap;

use poem::error::ResponseError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::Object;

/// The JSON body of every error response.
#[derive(Debug, Clone, Object, serde::Serialize, serde::Deserialize)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `invalid_credentials`.
    pub code: String,
    /// Human-readable explanation; safe to show to a user.
    pub message: String,
    /// Per-field problems, only for `validation_failed` and `weak_password`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// An error on its way to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Option<BTreeMap<String, String>>,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: None,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required",
        )
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// Logs the real cause (inside the request's span, which carries the request id) and
    /// returns an answer that reveals nothing of it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error",
        )
    }

    pub fn unavailable(retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "server busy, retry shortly",
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// 422 `validation_failed`, naming each field at fault.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "some fields are invalid",
        )
        .with_fields(fields)
    }

    pub fn with_fields(mut self, fields: BTreeMap<String, String>) -> Self {
        self.fields = Some(fields);
        self
    }

    /// The JSON text of the body, for responses built by hand (byte serving).
    pub fn json(&self) -> String {
        serde_json::to_string(&self.body()).unwrap_or_default()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.to_string(),
            message: self.message.clone(),
            fields: self.fields.clone(),
        }
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut response = poem::web::Json(self.body())
            .with_status(self.status)
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Maps any error that reached the edge of the app (poem-openapi parse errors, unknown
/// routes, wrong methods, auth failures before our checker ran) onto the SPEC's shape.
pub fn to_response(error: poem::Error) -> Response {
    if let Some(api) = error.downcast_ref::<ApiError>() {
        return api.as_response();
    }
    let status = error.status();
    if status.as_u16() < 400 {
        // poem reports 304 and friends as errors; they are not.
        return error.into_response();
    }
    let api = match status {
        StatusCode::BAD_REQUEST => ApiError::bad_request(error.to_string()),
        StatusCode::UNAUTHORIZED => ApiError::unauthorized(),
        StatusCode::NOT_FOUND => ApiError::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "method not allowed for this route",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large("request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(status, "unsupported_media_type", error.to_string())
        }
        StatusCode::LENGTH_REQUIRED => {
            ApiError::new(status, "length_required", "Content-Length required")
        }
        s if s.is_server_error() => ApiError::internal(&error),
        s => ApiError::new(s, "bad_request", error.to_string()),
    };
    api.as_response()
}
