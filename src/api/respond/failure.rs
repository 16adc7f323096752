//! `Failure<S>`: an operation's error type, documented in OpenAPI with exactly the statuses
//! of its error set `S`, all in the one `Error` shape.

use std::marker::PhantomData;

use poem::error::ResponseError;
use poem::{IntoResponse, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;

use crate::error::{ApiError, ErrorBody};
use crate::service::{AccountError, AuthError};

/// The statuses an operation can fail with.
pub trait ErrorSet: Send + Sync + 'static {
    const STATUSES: &'static [u16];
}

/// Declares an error set: `error_set!(Name: 400, 401, ...)`.
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: $($status:literal),+) => {
        $(#[$doc])*
        pub struct $name;
        impl $crate::api::respond::failure::ErrorSet for $name {
            const STATUSES: &'static [u16] = &[$($status),+];
        }
    };
}

/// An operation's error, carrying the SPEC's error shape.
pub struct Failure<S>(pub ApiError, PhantomData<S>);

pub type ApiResult<T, S> = Result<T, Failure<S>>;

impl<S> From<ApiError> for Failure<S> {
    fn from(error: ApiError) -> Self {
        Failure(error, PhantomData)
    }
}

impl<S> From<AccountError> for Failure<S> {
    fn from(error: AccountError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S> From<AuthError> for Failure<S> {
    fn from(error: AuthError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S> From<crate::service::drive::DriveError> for Failure<S> {
    fn from(error: crate::service::drive::DriveError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S> From<crate::service::uploads::UploadError> for Failure<S> {
    fn from(error: crate::service::uploads::UploadError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S> From<crate::service::DbError> for Failure<S> {
    fn from(error: crate::service::DbError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S> From<crate::service::shares::ShareError> for Failure<S> {
    fn from(error: crate::service::shares::ShareError) -> Self {
        Failure(error.into(), PhantomData)
    }
}

impl<S: ErrorSet> IntoResponse for Failure<S> {
    fn into_response(self) -> Response {
        self.0.as_response()
    }
}

impl<S> From<Failure<S>> for poem::Error {
    fn from(failure: Failure<S>) -> Self {
        poem::Error::from(failure.0)
    }
}

impl<S: ErrorSet> ApiResponse for Failure<S> {
    fn meta() -> MetaResponses {
        let responses = S::STATUSES
            .iter()
            .map(|&status| MetaResponse {
                description: describe(status),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: ErrorBody::schema_ref(),
                }],
                headers: headers(status),
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

fn headers(status: u16) -> Vec<MetaHeader> {
    if status != 429 && status != 503 {
        return Vec::new();
    }
    vec![MetaHeader {
        name: "Retry-After".into(),
        description: Some("Seconds to wait before retrying.".into()),
        required: status == 429,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("integer", "int64"))),
    }]
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "`bad_request`: malformed JSON, wrong types, or a bad parameter.",
        401 => "`unauthorized`, `invalid_token`, `token_expired`, `token_revoked`, `invalid_credentials`, `invalid_code` (a wrong or spent code at the second step of a login) or (shares) `password_required`.",
        403 => "`forbidden` (role), `account_disabled`, `registration_closed` or `csrf_failed` (a cookie-authenticated write without `X-CSRF-Token`).",
        404 => "`not_found`: no such resource, or not yours.",
        409 => "`username_taken`, `email_taken`, `name_conflict` or (tus) `upload_conflict`: `Upload-Offset` is not the upload's offset, or another request is writing it.",
        410 => "`share_expired`: the share is past its `expires_at` or out of downloads; (tus) `upload_expired` or `upload_failed`.",
        412 => "`precondition_failed`: `Tus-Resumable` is missing or not `1.0.0` (see `Tus-Version`), or `If-Match` failed.",
        460 => "`checksum_mismatch` (tus): the bytes do not match `Upload-Checksum`; they were discarded.",
        413 => "`too_large`: the body is over its limit.",
        415 => "`unsupported_media_type`: the body has the wrong Content-Type.",
        422 => "`validation_failed` (with `fields`), `weak_password`, `invalid_image`, `last_admin`, `invalid_name`, `invalid_move` or `invalid_code` (a wrong code while changing two-step sign-in).",
        429 => "`rate_limited`: too many attempts; see `Retry-After`.",
        500 => "`internal`: an unexpected failure (logged with the request id; details are never sent).",
        503 => "`unavailable`: the server is overloaded or the database is busy; see `Retry-After`.",
        507 => "`quota_exceeded` (your storage quota) or `storage_full` (the server's disk); nothing was stored.",
        _ => "Error.",
    }
}

error_set!(
    /// tus requests that write bytes (creation, PATCH).
    TusWriteErrors: 400, 401, 404, 409, 410, 412, 413, 415, 422, 460, 500, 503, 507
);
error_set!(
    /// tus requests without a body (HEAD, DELETE).
    TusErrors: 400, 401, 404, 409, 410, 412, 500, 503
);
error_set!(
    /// Routes without credentials or body.
    PublicErrors: 400, 500, 503
);
error_set!(
    /// Single sign-on's browser routes: only an unknown provider is an error (404);
    /// every other failure is a redirect to the login page.
    OidcErrors: 400, 404, 500, 503
);
error_set!(
    /// Registration.
    RegisterErrors: 400, 403, 409, 413, 415, 422, 429, 500, 503
);
error_set!(
    /// Login.
    LoginErrors: 400, 401, 403, 413, 415, 429, 500, 503
);
error_set!(
    /// Changes of one's two-step sign-in: a password and often a code.
    MfaErrors: 400, 401, 413, 415, 422, 429, 500, 503
);
error_set!(
    /// Token refresh.
    RefreshErrors: 400, 401, 413, 415, 500, 503
);
error_set!(
    /// Web session refresh and logout: a cookie request without its CSRF token is 403.
    WebSessionErrors: 400, 401, 403, 413, 415, 500, 503
);
error_set!(
    /// Signed-in reads of one's own things.
    UserErrors: 400, 401, 404, 500, 503
);
error_set!(
    /// Signed-in changes with a JSON or multipart body.
    UserWriteErrors: 400, 401, 404, 409, 413, 415, 422, 429, 500, 503
);
error_set!(
    /// Drive reads and deletes.
    DriveErrors: 400, 401, 404, 500, 503
);
error_set!(
    /// Drive changes and uploads.
    DriveWriteErrors: 400, 401, 404, 409, 413, 415, 422, 500, 503, 507
);
error_set!(
    /// Byte routes.
    ContentErrors: 400, 401, 404, 422, 500, 503
);
error_set!(
    /// Admin reads.
    AdminErrors: 400, 401, 403, 404, 500, 503
);
error_set!(
    /// Admin changes.
    AdminWriteErrors: 400, 401, 403, 404, 409, 413, 415, 422, 500, 503
);
error_set!(
    /// My shares: reads and deletes.
    ShareErrors: 400, 401, 404, 500, 503
);
error_set!(
    /// My shares: create and update.
    ShareWriteErrors: 400, 401, 404, 413, 415, 422, 500, 503
);
error_set!(
    /// Public share reads (no account): a password may be needed, the share may be spent.
    PublicShareErrors: 400, 401, 404, 410, 422, 429, 500, 503
);
error_set!(
    /// Unlocking a public share with its password.
    ShareUnlockErrors: 400, 401, 404, 410, 413, 415, 429, 500, 503
);
