//! The web UI's session cookies (SPEC §8): the access and refresh tokens travel in
//! HttpOnly, SameSite=Strict cookies that scripts cannot read, and a readable CSRF cookie
//! is echoed in `X-CSRF-Token` on every state-changing request (double submit), with the
//! `Origin`, when sent, required to be this host.

use poem::http::{header, Method};
use poem::Request;

use crate::error::ApiError;
use crate::secret::constant_time_eq;

pub const ACCESS: &str = "hoard_access";
pub const REFRESH: &str = "hoard_refresh";
pub const CSRF: &str = "hoard_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The refresh cookie is only ever sent to the web session routes.
pub const REFRESH_PATH: &str = "/api/v1/auth/web";
/// The state of a single sign-on under way (SPEC §12), sent only to its routes.
pub const OIDC_STATE: &str = "hoard_oidc";
pub const OIDC_PATH: &str = "/api/v1/auth/oidc";

/// The value of cookie `name` in the request, if sent (once).
pub fn get<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value (SameSite=Strict); `max_age` 0 deletes the cookie.
pub fn set(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    http_only: bool,
    secure: bool,
) -> String {
    cookie(name, value, path, max_age, "Strict", http_only, secure)
}

/// The HttpOnly, SameSite=Lax cookie that binds a single sign-on to the browser that
/// started it: Lax, because the provider's redirect back is a cross-site top-level GET.
pub fn set_oidc_state(value: &str, max_age: u64, secure: bool) -> String {
    cookie(OIDC_STATE, value, OIDC_PATH, max_age, "Lax", true, secure)
}

fn cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    same_site: &str,
    http_only: bool,
    secure: bool,
) -> String {
    let mut cookie =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; SameSite={same_site}");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Rejects a cookie-authenticated state change that did not come from our own pages.
pub fn check_csrf(req: &Request) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let failed = || {
        ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong CSRF token",
        )
    };
    if let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(failed());
        }
    }
    let expected = get(req, CSRF).ok_or_else(failed)?;
    let presented = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(failed)?;
    if !constant_time_eq(expected.as_bytes(), presented.as_bytes()) || expected.is_empty() {
        return Err(failed());
    }
    Ok(())
}

/// Whether the client reached us over HTTPS (directly impossible here; through a proxy
/// that says so), so cookies get `Secure`. The header is believed from anyone: `Secure`
/// only ever withholds a cookie from plain HTTP, so a forged header harms only its sender.
pub fn is_https(req: &Request) -> bool {
    req.uri().scheme_str() == Some("https")
        || req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let req = Request::builder()
            .header("cookie", "a=1; hoard_access=tok; hoard_access_x=no")
            .finish();
        assert_eq!(get(&req, ACCESS), Some("tok"));
        assert_eq!(get(&req, "b"), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn set_cookie_values_carry_the_attributes() {
        let value = set(ACCESS, "t", "/", 60, true, false);
        assert_eq!(
            value,
            "hoard_access=t; Path=/; Max-Age=60; SameSite=Strict; HttpOnly"
        );
        assert!(set(CSRF, "c", "/", 60, false, true).ends_with("SameSite=Strict; Secure"));
        assert_eq!(
            set_oidc_state("s", 600, false),
            "hoard_oidc=s; Path=/api/v1/auth/oidc; Max-Age=600; SameSite=Lax; HttpOnly"
        );
    }
}
