//! The web UI, embedded from `web/` at build time, served with SPA fallback (any non-API
//! path without a file of its own gets `index.html`) and the SPEC §9 security headers.

use poem::http::{header, Method, StatusCode};
use poem::{Endpoint, Request, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub struct Spa;

impl Endpoint for Spa {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed",
            )
            .into());
        }
        let path = req.uri().path().trim_start_matches('/');
        let (name, file) = match Assets::get(path).filter(|_| !path.is_empty()) {
            Some(file) => (path, file),
            None => (
                "index.html",
                Assets::get("index.html").ok_or_else(ApiError::not_found)?,
            ),
        };
        let etag = format!(
            "\"{}\"",
            crate::secret::hex(&file.metadata.sha256_hash()[..16])
        );
        let cache = if name == "index.html" {
            "no-cache"
        } else {
            "public, max-age=3600, must-revalidate"
        };
        let not_modified = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(&etag);
        let builder = Response::builder()
            .header(header::ETAG, &etag)
            .header(header::CACHE_CONTROL, cache)
            .header(header::CONTENT_SECURITY_POLICY, CSP)
            .header(header::X_FRAME_OPTIONS, "DENY")
            .header(header::REFERRER_POLICY, "no-referrer")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        if not_modified {
            return Ok(builder.status(StatusCode::NOT_MODIFIED).finish());
        }
        let mime = mime_guess::from_path(name).first_or_octet_stream();
        let content_type = match mime.type_() {
            mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
            _ if mime.subtype() == "javascript" || mime.subtype() == "json" => {
                format!("{mime}; charset=utf-8")
            }
            _ => mime.to_string(),
        };
        Ok(builder
            .header(header::CONTENT_TYPE, content_type)
            .body(file.data.into_owned()))
    }
}
