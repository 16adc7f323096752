//! How the WebDAV door answers: errors in the SPEC §2 JSON shape with the status RFC 4918
//! fixes (and its XML precondition bodies where a client looks for them), OPTIONS, and
//! the pieces of a multistatus.

use poem::error::ResponseError;
use poem::http::{header, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};

use super::xml::escape;
use super::METHODS;
use crate::error::ApiError;
use crate::service::drive::DriveError;
use crate::service::locks::LockError;
use crate::service::AuthError;

/// A refusal: the SPEC's JSON error, or an RFC 4918 `<D:error>` body.
#[derive(Debug)]
pub enum Failure {
    Api(ApiError),
    /// Status, and the precondition element inside `<D:error>`.
    Xml(StatusCode, String),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl From<DriveError> for Failure {
    fn from(error: DriveError) -> Self {
        let mut api = ApiError::from(error);
        // RFC 4918 and SPEC §11: a bad name is 400, a name taken by the wrong kind 409.
        api.status = match api.code {
            "invalid_name" => StatusCode::BAD_REQUEST,
            "invalid_move" => StatusCode::FORBIDDEN,
            _ => api.status,
        };
        Failure::Api(api)
    }
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Self {
        Failure::Api(ApiError::from(error))
    }
}

impl From<LockError> for Failure {
    fn from(error: LockError) -> Self {
        match error {
            LockError::Locked(path) => locked("lock-token-submitted", &path),
            LockError::Conflict(path) => locked("no-conflicting-lock", &path),
            LockError::NoSuchLock => Failure::Xml(
                StatusCode::CONFLICT,
                "<D:lock-token-matches-request-uri/>".into(),
            ),
            LockError::Db(db) => Failure::Api(ApiError::from(db)),
        }
    }
}

/// 423 with the lock's root (a path key such as `/a/b`) in the precondition.
fn locked(condition: &str, key: &str) -> Failure {
    let href = super::path::key_href(key, false);
    Failure::Xml(
        StatusCode::LOCKED,
        format!(
            "<D:{condition}><D:href>{}</D:href></D:{condition}>",
            escape(&href)
        ),
    )
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Api(api) => {
                let unauthorized = api.status == StatusCode::UNAUTHORIZED;
                let mut response = api.as_response();
                if unauthorized {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"Hoard\", charset=\"UTF-8\""),
                    );
                }
                if api.status == StatusCode::METHOD_NOT_ALLOWED {
                    response
                        .headers_mut()
                        .insert(header::ALLOW, HeaderValue::from_static(METHODS));
                }
                response
            }
            Failure::Xml(status, condition) => xml_response(
                status,
                format!("{XML_DECL}<D:error xmlns:D=\"DAV:\">{condition}</D:error>"),
            ),
        }
    }
}

pub const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

pub fn xml_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

/// OPTIONS, answered without credentials (Explorer gives up on a 401 here).
pub fn options() -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header("DAV", "1, 2")
        .header("MS-Author-Via", "DAV")
        .header(header::ALLOW, METHODS)
        .header(header::CONTENT_LENGTH, "0")
        .finish()
}

pub fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, to)
        .finish()
}

pub fn method_not_allowed() -> Failure {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed here",
    )
    .into()
}

pub fn conflict(message: &str) -> Failure {
    ApiError::new(StatusCode::CONFLICT, "conflict", message).into()
}

pub fn forbidden(message: &str) -> Failure {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into()
}

pub fn root_refused() -> Failure {
    forbidden("the root folder cannot be changed")
}

pub fn precondition_failed(message: &str) -> Failure {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
        message,
    )
    .into()
}

/// A status line inside a multistatus.
pub fn status_line(status: StatusCode) -> String {
    format!(
        "HTTP/1.1 {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
}
