//! The routes the transport treats specially, declared once, here, and handed to http/ as
//! values when the app is built (app.rs): the mount point, the health probe, which requests
//! weigh more for load shedding, which path segments the log must not show, which answers
//! carry the tus headers, and which byte routes the fast lane answers. http/ never names a
//! route.
//!
//! poem-openapi reads an operation's path only from the literal in its `#[oai(path = …)]`,
//! so these cannot be that literal; the tests below hold each of them to the operations
//! the OpenAPI document has, so renaming a route fails here instead of silently taking it
//! out of load shedding, redaction, the tus headers or the fast lane.

use poem::http::Method;
use poem::Request;

use crate::http::middleware::{Redact, Weight};

/// A path under the mount point.
macro_rules! api_path {
    ($tail:literal) => {
        concat!("/api/v1", $tail)
    };
}

/// Where the API is mounted (the OpenAPI document's server).
pub const BASE: &str = api_path!("");
/// The health probe, outside the API.
pub const HEALTH: &str = "/health";
/// The tus protocol's routes (`ResumableApi`, tag `Uploads`).
pub const UPLOADS: &str = api_path!("/uploads");
/// `/public/shares/{token}/…` (`PublicSharesApi`): the token opens the share.
pub const PUBLIC_SHARES: &str = api_path!("/public/shares/");
/// The web page of a share, `/s/{token}` (served by the web UI).
pub const SHARE_PAGE: &str = "/s/";
/// `/files/{id}/…`: the byte routes of a file.
pub const FILES: &str = api_path!("/files/");

/// The operations that check a password with argon2 (`register`, `login`, `web_login`,
/// `change_password`, `unlock_public_share`), by the end of their path: a POST to one
/// holds its load-shedding slot for the whole hash.
pub const PASSWORD_CHECKS: &[&str] = &[
    "/auth/login",
    "/auth/web/login",
    "/auth/register",
    "/auth/change-password",
    "/login/mfa",
    "/auth/mfa/totp/setup",
    "/auth/mfa/totp/enable",
    "/auth/mfa/recovery-codes",
    "/unlock",
];

/// Which of a file's byte routes a request came by (the rule of each is the service's).
pub(crate) use crate::service::media::Mode;

/// The byte routes the fast lane answers (`download_file`, `get_file_content`), as
/// `GET {FILES}{id}/{tail}`.
pub(crate) const FAST_LANE: &[(&str, Mode)] =
    &[("download", Mode::Download), ("content", Mode::Content)];

/// A share's token is its password equivalent: the log line keeps its first 4 characters.
pub const LOG_REDACT: Redact = Redact(&[PUBLIC_SHARES, SHARE_PAGE]);

/// How a request counts for load shedding (`Shed::new`): the health probe never waits,
/// a password check holds a heavy slot.
pub fn weigh(req: &Request) -> Weight {
    let path = req.uri().path();
    if path == HEALTH {
        return Weight::Exempt;
    }
    let password = PASSWORD_CHECKS.iter().any(|tail| path.ends_with(tail));
    if password && *req.method() == Method::POST {
        Weight::Heavy
    } else {
        Weight::Light
    }
}

/// The methods of each API path, from the OpenAPI operations (HEAD wherever GET is, as
/// poem answers it): the `Allow` of a 405. Anything outside the API is GET and HEAD.
pub struct Allowed {
    routes: Vec<(Vec<Option<String>>, String)>,
}

impl Allowed {
    pub fn from_operations() -> Self {
        let mut by_path: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for api in <super::Apis as poem_openapi::OpenApi>::meta() {
            for path in api.paths {
                let methods = by_path.entry(path.path.to_owned()).or_default();
                for op in path.operations {
                    methods.push(op.method.to_string());
                    if op.method == Method::GET {
                        methods.push("HEAD".into());
                    }
                }
            }
        }
        let routes = by_path
            .into_iter()
            .map(|(path, mut methods)| {
                methods.sort_unstable();
                methods.dedup();
                (segments(&path), methods.join(", "))
            })
            .collect();
        Self { routes }
    }

    /// The `Allow` value for a request path; the route with the most literal segments
    /// wins (`/files/by-path` over `/files/{id}`), as in routing.
    pub fn methods(&self, path: &str) -> String {
        let Some(tail) = path.strip_prefix(BASE) else {
            return "GET, HEAD".into();
        };
        let tail = if tail.is_empty() { "/" } else { tail };
        let wanted: Vec<&str> = tail.split('/').collect();
        let fits = |route: &[Option<String>]| {
            route.len() == wanted.len()
                && route
                    .iter()
                    .zip(&wanted)
                    .all(|(seg, got)| seg.as_deref().is_none_or(|lit| lit == *got))
        };
        self.routes
            .iter()
            .filter(|(route, _)| fits(route))
            .max_by_key(|(route, _)| route.iter().filter(|s| s.is_some()).count())
            .map(|(_, methods)| methods.clone())
            .unwrap_or_else(|| "GET, HEAD".into())
    }
}

impl crate::http::middleware::AllowTable for Allowed {
    fn allow(&self, path: &str) -> String {
        self.methods(path)
    }
}

/// `/files/{id}/copy` as `["", "files", None, "copy"]`: `None` is a parameter.
fn segments(path: &str) -> Vec<Option<String>> {
    path.split('/')
        .map(|seg| (!seg.starts_with('{')).then(|| seg.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use poem_openapi::OpenApi;

    use super::*;

    /// Every operation of the OpenAPI document: method, full path (`/api/v1/files/{id}`),
    /// operation id and tags.
    fn operations() -> Vec<(Method, String, &'static str, Vec<&'static str>)> {
        let mut all = Vec::new();
        for api in <super::super::Apis as OpenApi>::meta() {
            for path in api.paths {
                for op in path.operations {
                    let full = format!("{BASE}{}", path.path);
                    let id = op.operation_id.unwrap_or_default();
                    all.push((op.method, full, id, op.tags));
                }
            }
        }
        all
    }

    fn request(method: Method, path: &str) -> Request {
        Request::builder().method(method).uri_str(path).finish()
    }

    #[test]
    fn each_password_check_is_a_post_operation_and_weighs_heavy() {
        let ops = operations();
        for tail in PASSWORD_CHECKS {
            let found = ops
                .iter()
                .find(|(m, p, ..)| *m == Method::POST && p.ends_with(tail));
            let (_, path, ..) = found.unwrap_or_else(|| panic!("no POST operation ends {tail}"));
            assert_eq!(weigh(&request(Method::POST, path)), Weight::Heavy);
            assert_eq!(weigh(&request(Method::GET, path)), Weight::Light);
        }
        assert_eq!(weigh(&request(Method::GET, HEALTH)), Weight::Exempt);
        let listing = format!("{BASE}/files");
        assert_eq!(weigh(&request(Method::POST, &listing)), Weight::Light);
    }

    #[test]
    fn allow_lists_each_paths_methods_and_prefers_literal_segments() {
        let allowed = Allowed::from_operations();
        for (method, path, id, _) in operations() {
            let concrete = path
                .replace("{id}", "7")
                .replace("{token}", "t")
                .replace("{key}", "k");
            let allow = allowed.methods(&concrete);
            assert!(
                allow.split(", ").any(|m| m == method.as_str()),
                "{id}: {allow}"
            );
        }
        assert_eq!(
            allowed.methods(&format!("{BASE}/files/by-path")),
            "GET, HEAD, PUT"
        );
        assert_eq!(
            allowed.methods(&format!("{BASE}/files/7")),
            "DELETE, GET, HEAD, PATCH"
        );
        assert_eq!(allowed.methods(&format!("{BASE}/")), "GET, HEAD");
        assert_eq!(allowed.methods("/settings"), "GET, HEAD");
    }

    #[test]
    fn the_fast_lane_routes_are_get_operations_of_files() {
        let ops = operations();
        for (tail, _) in FAST_LANE {
            let path = format!("{FILES}{{id}}/{tail}");
            let found = ops.iter().any(|(m, p, ..)| *m == Method::GET && *p == path);
            assert!(found, "no GET {path}");
        }
    }

    #[test]
    fn the_tus_prefix_covers_exactly_the_uploads_operations() {
        let ops = operations();
        assert!(ops.iter().any(|(_, p, ..)| p.starts_with(UPLOADS)));
        for (method, path, id, tags) in &ops {
            let tus = tags.contains(&"Uploads");
            assert_eq!(path.starts_with(UPLOADS), tus, "{method} {path} ({id})");
        }
    }

    #[test]
    fn every_route_with_a_share_token_has_it_cut_in_the_log() {
        let ops = operations();
        let with_token: Vec<_> = ops
            .iter()
            .filter(|(_, p, ..)| p.contains("{token}"))
            .collect();
        assert!(!with_token.is_empty());
        for (method, path, id, _) in with_token {
            assert!(path.starts_with(PUBLIC_SHARES), "{method} {path} ({id})");
        }
        assert_eq!(
            LOG_REDACT.loggable(&format!("{PUBLIC_SHARES}AbCdEfGhIj/download")),
            format!("{PUBLIC_SHARES}AbCd…/download")
        );
        assert_eq!(LOG_REDACT.loggable("/s/AbCdEfGhIj"), "/s/AbCd…");
        assert_eq!(LOG_REDACT.loggable("/api/v1/files/3"), "/api/v1/files/3");
    }
}
