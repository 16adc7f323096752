//! `/auth/oidc/*`: single sign-on through OpenID Connect providers (SPEC §12). The
//! browser goes to `start`, which redirects it to the provider with a short-lived state
//! cookie; the provider sends it back to `callback`, which sets the web session's cookies
//! (the same as `/auth/web/login`) and redirects to `next`. Every failure but an unknown
//! provider redirects to `/login?error=oidc_failed`.

use std::sync::Arc;

use poem::http::{header, StatusCode};
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::cookies::{self, OIDC_STATE};
use super::extract::pagination::Page;
use super::extract::security::client_info;
use super::respond::failure::{ApiResult, OidcErrors, PublicErrors};
use super::respond::models::list_type;
use super::web_session::{append_cookies, cookie_header, session_cookies};
use super::ApiTags;
use crate::service::oidc::{Callback, Oidc, OidcError, LOGIN_TTL_S};

/// Where a failed sign-in lands; the login page explains.
pub const FAILED: &str = "/login?error=oidc_failed";

/// An identity provider of the login page.
#[derive(Debug, Clone, Object)]
pub struct OidcProvider {
    /// The provider's id in `/auth/oidc/{id}/start`.
    pub id: String,
    /// What its button says.
    pub name: String,
}

list_type!(
    /// The configured identity providers, in configuration order.
    OidcProviderList, OidcProvider
);

pub struct OidcApi {
    pub oidc: Arc<Oidc>,
    pub access_ttl: u64,
    pub refresh_ttl: u64,
    /// `auth.oidc.public_url`; empty: this request's scheme and `Host`.
    pub public_url: String,
}

#[OpenApi(tag = "ApiTags::Auth")]
impl OidcApi {
    /// List the single sign-on providers (no authentication), for the login page's buttons.
    /// A list like every other (`{items, total, limit, offset}`, SPEC §2), though short.
    #[oai(
        path = "/auth/oidc/providers",
        method = "get",
        operation_id = "list_oidc_providers"
    )]
    async fn providers(
        &self,
        limit: Query<Option<i64>>,
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<OidcProviderList>, PublicErrors> {
        let page = Page::parse(limit.0, offset.0)?;
        let all = self.oidc.providers();
        let items = all
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(|p| OidcProvider {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect();
        Ok(Json(OidcProviderList {
            items,
            total: all.len() as i64,
            limit: page.limit,
            offset: page.offset,
        }))
    }

    /// Start signing in with provider `id`: a redirect to the provider (authorization code
    /// flow, PKCE S256, `state` and `nonce`), with the state in a 10-minute HttpOnly,
    /// SameSite=Lax cookie `hoard_oidc`. `next` is where the sign-in lands: a path of this
    /// site (`/files`); anything else (`https://…`, `//…`, `/\…`) is ignored for `/`. If
    /// the provider cannot be reached, the redirect goes to `/login?error=oidc_failed`.
    #[oai(
        path = "/auth/oidc/:id/start",
        method = "get",
        operation_id = "start_oidc_login"
    )]
    async fn start(
        &self,
        req: &Request,
        id: Path<String>,
        next: Query<Option<String>>,
    ) -> ApiResult<Redirect, OidcErrors> {
        let redirect_uri = self.redirect_uri(req, &id.0);
        match self
            .oidc
            .start(&id.0, next.0.as_deref(), &redirect_uri)
            .await
        {
            Ok(started) => {
                let secure = cookies::is_https(req);
                let cookie = cookies::set_oidc_state(&started.state, LOGIN_TTL_S as u64, secure);
                Ok(Redirect::to(&started.url, vec![cookie]))
            }
            Err(error) => self.failed(req, &id.0, error),
        }
    }

    /// Where the provider sends the browser back. Checks the state against the browser's
    /// cookie (a state works once), exchanges the code, checks the ID token (signature,
    /// `iss`, `aud`, `exp`, `nonce`), signs in the account linked to the identity (or
    /// links or creates one, as the provider's configuration allows), sets the web
    /// session's cookies and redirects to `next`. Hoard's own two-step sign-in is not asked
    /// for: the identity provider owns the factors. Any failure redirects to
    /// `/login?error=oidc_failed` and changes nothing.
    #[oai(
        path = "/auth/oidc/:id/callback",
        method = "get",
        operation_id = "finish_oidc_login"
    )]
    async fn callback(
        &self,
        req: &Request,
        id: Path<String>,
        state: Query<Option<String>>,
        code: Query<Option<String>>,
        error: Query<Option<String>>,
    ) -> ApiResult<Redirect, OidcErrors> {
        let callback = Callback {
            state: state.0,
            code: code.0,
            error: error.0,
            cookie: cookies::get(req, OIDC_STATE).map(str::to_owned),
        };
        match self.oidc.finish(&id.0, callback, &client_info(req)).await {
            Ok(done) => {
                let mut set =
                    session_cookies(req, Some(&done.tokens), self.access_ttl, self.refresh_ttl);
                set.push(cookies::set_oidc_state("", 0, cookies::is_https(req)));
                Ok(Redirect::to(&done.next, set))
            }
            Err(error) => self.failed(req, &id.0, error),
        }
    }
}

impl OidcApi {
    /// `{public base}/api/v1/auth/oidc/{id}/callback`.
    fn redirect_uri(&self, req: &Request, id: &str) -> String {
        let base = if self.public_url.is_empty() {
            let scheme = if cookies::is_https(req) {
                "https"
            } else {
                "http"
            };
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            format!("{scheme}://{host}")
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        };
        format!("{base}{}/{id}/callback", cookies::OIDC_PATH)
    }

    /// An unknown provider is a 404; any other failure is logged and redirected to the
    /// login page, with the state cookie cleared.
    fn failed(&self, req: &Request, id: &str, error: OidcError) -> ApiResult<Redirect, OidcErrors> {
        if matches!(error, OidcError::UnknownProvider) {
            return Err(crate::error::ApiError::from(error).into());
        }
        tracing::warn!(provider = %id, "single sign-on failed: {error}");
        let clear = cookies::set_oidc_state("", 0, cookies::is_https(req));
        Ok(Redirect::to(FAILED, vec![clear]))
    }
}

/// A 302 with `Location` and `Set-Cookie` headers.
pub struct Redirect(Response);

impl Redirect {
    fn to(location: &str, cookies: Vec<String>) -> Self {
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(value) = location.parse() {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            poem::http::HeaderValue::from_static("no-store"),
        );
        append_cookies(&mut response, cookies);
        Self(response)
    }
}

impl IntoResponse for Redirect {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for Redirect {
    fn meta() -> MetaResponses {
        let location = MetaHeader {
            name: "Location".into(),
            description: Some(
                "`start`: the provider's authorization URL. `callback`: `next` once signed in. \
                 Either: `/login?error=oidc_failed` when the sign-in failed."
                    .into(),
            ),
            required: true,
            deprecated: false,
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
        };
        let mut cookies = cookie_header();
        cookies.description = Some(
            "`start`: `hoard_oidc` (the sign-in's state: HttpOnly, SameSite=Lax, 10 minutes). \
             `callback`: the web session's `hoard_access`, `hoard_refresh` and `hoard_csrf`, \
             as `/auth/web/login` sets them, and `hoard_oidc` cleared."
                .into(),
        );
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A redirect: to the provider, to `next`, or to the login page.",
                status: Some(302),
                status_range: None,
                content: Vec::new(),
                headers: vec![location, cookies],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}
