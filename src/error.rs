//! The one error shape of SPEC §2, `{"code","message","fields"?}`, and the single place where
//! service errors and framework errors are mapped onto it.

use std::collections::BTreeMap;

use poem::error::ResponseError;
use poem::http::{header, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::Object;

use crate::db::DbError;
use crate::service::drive::DriveError;
use crate::service::uploads::UploadError;
use crate::service::AccountError;

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

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            // A pool that stays exhausted for its whole timeout is the same as busy: every
            // connection is waiting on the write lock.
            DbError::Busy | DbError::Pool(_) => ApiError::unavailable(1),
            DbError::Full => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "the server's disk is full",
            ),
            other => ApiError::internal(&other),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        use AccountError as E;
        let (status, code) = match &error {
            E::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            E::WeakPassword(_) => (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
            E::InvalidImage(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_image"),
            E::LastAdmin => (StatusCode::UNPROCESSABLE_ENTITY, "last_admin"),
            E::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
            E::EmailTaken => (StatusCode::CONFLICT, "email_taken"),
            E::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            E::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            E::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            E::TokenExpired => (StatusCode::UNAUTHORIZED, "token_expired"),
            E::TokenRevoked => (StatusCode::UNAUTHORIZED, "token_revoked"),
            E::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            E::RegistrationClosed => (StatusCode::FORBIDDEN, "registration_closed"),
            E::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            E::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            E::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            E::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            E::Db(_) | E::Internal(_) => return ApiError::from_internal(error),
        };
        let mut api = ApiError::new(status, code, error.to_string());
        match error {
            E::Validation(fields) | E::WeakPassword(fields) => api.fields = Some(fields),
            E::RateLimited { retry_after } => api.retry_after = Some(retry_after),
            _ => {}
        }
        api
    }
}

impl From<DriveError> for ApiError {
    fn from(error: DriveError) -> Self {
        use DriveError as E;
        let status = match &error {
            E::NotFound => return ApiError::not_found(),
            E::InvalidName(_) | E::InvalidMove => StatusCode::UNPROCESSABLE_ENTITY,
            E::NameConflict => StatusCode::CONFLICT,
            E::QuotaExceeded | E::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            E::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            E::BodyInterrupted(_) => StatusCode::BAD_REQUEST,
            E::Validation { field, problem } => {
                let fields = BTreeMap::from([(field.to_string(), problem.clone())]);
                return ApiError::validation(fields);
            }
            E::Db(_) | E::Io(_) => {
                return match error {
                    E::Db(db) => ApiError::from(db),
                    other => ApiError::internal(&other),
                }
            }
        };
        ApiError::new(status, error.code(), error.to_string())
    }
}

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> Self {
        use UploadError as E;
        let (status, code) = match &error {
            E::NotFound => return ApiError::not_found(),
            E::Expired => (StatusCode::GONE, "upload_expired"),
            E::Failed(_) => (StatusCode::GONE, "upload_failed"),
            E::OffsetMismatch { .. } | E::Busy => (StatusCode::CONFLICT, "upload_conflict"),
            E::ChecksumMismatch => (checksum_mismatch(), "checksum_mismatch"),
            E::PastLength => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            E::Drive(_) | E::Db(_) | E::Io(_) => {
                return match error {
                    E::Drive(drive) => ApiError::from(drive),
                    E::Db(db) => ApiError::from(db),
                    other => ApiError::internal(&other),
                }
            }
        };
        ApiError::new(status, code, error.to_string())
    }
}

/// tus's own status for a failed `Upload-Checksum` (not in the HTTP registry).
fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

impl From<crate::service::shares::ShareError> for ApiError {
    fn from(error: crate::service::shares::ShareError) -> Self {
        use crate::service::shares::ShareError as E;
        let (status, code) = match error {
            E::NotFound => return ApiError::not_found(),
            E::Expired => (StatusCode::GONE, "share_expired"),
            E::PasswordRequired => (StatusCode::UNAUTHORIZED, "password_required"),
            E::InvalidPassword => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            E::RateLimited { retry_after } => {
                let mut api = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    error.to_string(),
                );
                api.retry_after = Some(retry_after);
                return api;
            }
            E::Validation(fields) => return ApiError::validation(fields),
            E::Drive(drive) => return ApiError::from(drive),
            E::Db(db) => return ApiError::from(db),
            E::Internal(_) => return ApiError::internal(&error),
        };
        ApiError::new(status, code, error.to_string())
    }
}

impl ApiError {
    fn from_internal(error: AccountError) -> Self {
        match error {
            AccountError::Db(db) => ApiError::from(db),
            other => ApiError::internal(&other),
        }
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
