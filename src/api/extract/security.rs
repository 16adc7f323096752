//! Authentication as one extractor: `Authorization: Bearer` (access JWT or API token) now;
//! the UI's session cookie and signed links slot in here as further credential sources.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use poem::http::header;
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use super::cookies;
use crate::error::ApiError;
use crate::http::middleware::LoggedUser;
use crate::service::auth::{Auth, ClientInfo};
use crate::service::tokens::API_TOKEN_PREFIX;
use crate::service::{AuthError, Principal};

const SCHEME: &str = "bearer";

/// The signed-in caller of an operation.
pub struct Caller(pub Principal);

/// The signed-in caller, who must be an admin (else 403 `forbidden`).
pub struct AdminCaller(pub Principal);

pub use crate::http::client::ProxyTrust;

const COOKIE_SCHEME: &str = "session_cookie";

fn register_scheme(registry: &mut Registry) {
    registry.create_security_scheme(
        COOKIE_SCHEME,
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some(
                "The web UI's HttpOnly session cookie from `/auth/web/login`; writes must also send \
                 `X-CSRF-Token` equal to the `hoard_csrf` cookie.",
            ),
            name: Some(cookies::ACCESS),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        SCHEME,
        MetaSecurityScheme {
            ty: "http",
            description: Some(
                "An access JWT from login/refresh, or a personal API token (`hoard_pat_…`).",
            ),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some("JWT"),
            flows: None,
            openid_connect_url: None,
        },
    );
}

async fn authenticate(req: &Request) -> Result<Principal, ApiError> {
    let auth = req
        .data::<Arc<Auth>>()
        .ok_or_else(|| ApiError::internal(&"Auth service not attached"))?;
    let token = credential(req)?;
    let principal = auth.authenticate(token).await?;
    if let Some(slot) = req.extensions().get::<LoggedUser>() {
        slot.0.store(principal.id().0, Ordering::Relaxed);
    }
    Ok(principal)
}

/// The token a request presents: `Authorization: Bearer` first; else the web UI's session
/// cookie, whose state-changing requests must also pass the CSRF check.
pub(crate) fn credential(req: &Request) -> Result<&str, ApiError> {
    let mut values = req.headers().get_all(header::AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(ApiError::from(AuthError::InvalidToken)),
        (Some(_), Some(_)) => Err(AuthError::Unauthorized.into()),
        (None, _) => {
            let token = cookies::get(req, cookies::ACCESS)
                .ok_or(ApiError::from(AuthError::Unauthorized))?;
            // The cookie carries a web UI session; a personal API token is a bearer only.
            if token.starts_with(API_TOKEN_PREFIX) {
                return Err(AuthError::InvalidToken.into());
            }
            cookies::check_csrf(req)?;
            Ok(token)
        }
    }
}

macro_rules! security_extractor {
    ($ty:ident, $check:expr) => {
        impl<'a> ApiExtractor<'a> for $ty {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                register_scheme(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                vec![SCHEME, COOKIE_SCHEME]
            }

            async fn from_request(
                req: &'a Request,
                _body: &mut RequestBody,
                _options: ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                let principal = authenticate(req).await?;
                let check: fn(&Principal) -> Result<(), AuthError> = $check;
                check(&principal).map_err(ApiError::from)?;
                Ok($ty(principal))
            }
        }
    };
}

security_extractor!(Caller, |_| Ok(()));
security_extractor!(AdminCaller, Principal::require_admin);

/// The client's address and user agent (see [`crate::http::client`]).
pub fn client_info(req: &Request) -> ClientInfo {
    let (ip, user_agent) = crate::http::client::address(req);
    ClientInfo { ip, user_agent }
}

/// Who may read a file's bytes: a signed-in caller, or the holder of a signed link
/// (`?sig=&exp=`, checked against the file id by the handler). Only the `content` and
/// `download` routes take this.
pub enum FileAccess {
    Caller(Principal),
    Link { sig: String },
}

const LINK_SCHEME: &str = "signed_link";

impl<'a> ApiExtractor<'a> for FileAccess {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_scheme(registry);
        registry.create_security_scheme(
            LINK_SCHEME,
            MetaSecurityScheme {
                ty: "apiKey",
                description: Some(
                    "`sig` of a link from `POST /files/{id}/link`, with its `exp` parameter.",
                ),
                name: Some("sig"),
                key_in: Some("query"),
                scheme: None,
                bearer_format: None,
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SCHEME, COOKIE_SCHEME, LINK_SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _options: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let has_session = cookies::get(req, cookies::ACCESS).is_some();
        if req.headers().contains_key(header::AUTHORIZATION) || has_session {
            return Ok(FileAccess::Caller(authenticate(req).await?));
        }
        let sig = req
            .uri()
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .find_map(|pair| pair.strip_prefix("sig="))
            .ok_or(ApiError::from(AuthError::Unauthorized))?;
        Ok(FileAccess::Link {
            sig: sig.to_owned(),
        })
    }
}
