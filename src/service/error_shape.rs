//! The one mapping of service errors onto the SPEC's error shape (`crate::error`): each
//! service's error enum becomes a status and a stable code here, and nowhere else. Both doors
//! (`api/` and `dav/`) answer with it; WebDAV adjusts only the statuses RFC 4918 fixes.

use std::collections::BTreeMap;

use poem::http::StatusCode;

use super::drive::DriveError;
use super::uploads::UploadError;
use super::DbError;
use super::{AccountError, AuthError};
use crate::error::ApiError;

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
        let status = match &error {
            E::Validation(_)
            | E::WeakPassword(_)
            | E::InvalidImage(_)
            | E::LastAdmin
            | E::InvalidCode => StatusCode::UNPROCESSABLE_ENTITY,
            E::UsernameTaken | E::EmailTaken => StatusCode::CONFLICT,
            E::NotFound => StatusCode::NOT_FOUND,
            E::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            E::Db(_) | E::Internal(_) => {
                return match error {
                    E::Db(db) => ApiError::from(db),
                    other => ApiError::internal(&other),
                }
            }
        };
        let api = ApiError::new(status, error.code(), error.to_string());
        match error {
            E::Validation(fields) | E::WeakPassword(fields) => api.with_fields(fields),
            _ => api,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        use AuthError as E;
        let status = match &error {
            E::InvalidCredentials
            | E::InvalidCode
            | E::PasswordNotEnough
            | E::Unauthorized
            | E::InvalidToken
            | E::TokenExpired
            | E::TokenRevoked => StatusCode::UNAUTHORIZED,
            E::AccountDisabled | E::RegistrationClosed | E::Forbidden => StatusCode::FORBIDDEN,
            E::NotFound => StatusCode::NOT_FOUND,
            E::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            E::Account(_) | E::Db(_) | E::Internal(_) => {
                return match error {
                    E::Account(account) => ApiError::from(account),
                    E::Db(db) => ApiError::from(db),
                    other => ApiError::internal(&other),
                }
            }
        };
        let mut api = ApiError::new(status, error.code(), error.to_string());
        if let E::RateLimited(limited) = error {
            api.retry_after = Some(limited.retry_after);
        }
        api
    }
}

/// Seconds a client is told to wait when the object store fails: its retries already ran.
const OBJECT_STORE_RETRY_S: u64 = 5;

impl From<DriveError> for ApiError {
    fn from(error: DriveError) -> Self {
        use DriveError as E;
        let status = match &error {
            E::NotFound => return ApiError::not_found(),
            E::Unavailable(why) => {
                tracing::warn!(error = %why, "object store unavailable");
                return ApiError::unavailable(OBJECT_STORE_RETRY_S);
            }
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

impl From<super::oidc::OidcError> for ApiError {
    /// Only an unknown provider is ever answered as JSON: every other failure of a
    /// browser's sign-in redirects to the login page (`api/oidc.rs`).
    fn from(error: super::oidc::OidcError) -> Self {
        use super::oidc::OidcError as E;
        match error {
            E::UnknownProvider => ApiError::not_found(),
            E::Auth(auth) => ApiError::from(auth),
            E::Db(db) => ApiError::from(db),
            E::AccountDisabled => ApiError::from(AuthError::AccountDisabled),
            E::Provider(_) | E::BadState | E::IdToken(_) | E::Refused(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "oidc_failed", error.to_string())
            }
        }
    }
}

/// tus's own status for a failed `Upload-Checksum` (not in the HTTP registry).
fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

impl From<super::shares::ShareError> for ApiError {
    fn from(error: super::shares::ShareError) -> Self {
        use super::shares::ShareError as E;
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
