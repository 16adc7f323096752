//! Who is calling: HTTP Basic (username or email with an app password, or the account
//! password when allowed) or a Bearer token (SPEC §11). A request without credentials is
//! 401 with `WWW-Authenticate: Basic`, which is what makes clients ask.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::header;
use poem::Request;

use super::respond::Failure;
use super::Inner;
use crate::error::ApiError;
use crate::http::client;
use crate::service::auth::ClientInfo;
use crate::service::Principal;

/// Longest `Authorization` value looked at (a token or a password fits many times over).
const MAX_AUTHORIZATION: usize = 4096;

pub(super) async fn principal(dav: &Inner, req: &Request) -> Result<Principal, Failure> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= MAX_AUTHORIZATION)
        .ok_or_else(ApiError::unauthorized)?;
    let (scheme, rest) = value.split_once(' ').ok_or_else(ApiError::unauthorized)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(dav.auth.authenticate(rest).await?);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(ApiError::unauthorized().into());
    }
    let decoded = STANDARD
        .decode(rest)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(ApiError::unauthorized)?;
    let (login, secret) = decoded.split_once(':').ok_or_else(ApiError::unauthorized)?;
    let (ip, user_agent) = client::address(req);
    let client = ClientInfo { ip, user_agent };
    let password_login = dav.config.password_login;
    Ok(dav
        .auth
        .authenticate_basic(login, secret, password_login, &client)
        .await?)
}
