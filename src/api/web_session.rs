//! `/auth/web/*`: sign-in for the web UI. The same accounts and sessions as `/auth/*`, but
//! the tokens travel only in HttpOnly, SameSite=Strict cookies, never in a body a script
//! could read; a readable `hoard_csrf` cookie is echoed as `X-CSRF-Token` on writes.

use std::sync::Arc;

use poem::http::{header, StatusCode};
use poem::{IntoResponse, Request, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, OpenApi};

use super::auth::LoginRequest;
use super::extract::cookies::{self, ACCESS, CSRF, REFRESH, REFRESH_PATH};
use super::extract::security::{client_info, Caller};
use super::mfa::MfaLoginRequest;
use super::respond::failure::{ApiResult, LoginErrors, WebSessionErrors};
use super::respond::login::{MfaChallenge, WebLoginResponse};
use super::respond::models::User;
use super::ApiTags;
use crate::service::auth::{Auth, IssuedTokens, LoginOutcome};
use crate::service::mfa::Mfa;
use crate::service::tokens::new_csrf_token;
use crate::service::AuthError;

/// The signed-in user, with the session cookies set.
pub struct WebSession(Response);

impl IntoResponse for WebSession {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for WebSession {
    fn meta() -> MetaResponses {
        signed_in("Signed in; the session is in cookies.", User::schema_ref())
    }

    fn register(registry: &mut Registry) {
        User::register(registry);
    }
}

/// A web login's answer: a [`WebSession`], or the second step two-step sign-in asks for
/// (no cookies).
pub struct WebLogin(Response);

impl IntoResponse for WebLogin {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for WebLogin {
    fn meta() -> MetaResponses {
        signed_in(
            "Signed in (the user; the session is in cookies), or `mfa_required` with no cookies.",
            WebLoginResponse::schema_ref(),
        )
    }

    fn register(registry: &mut Registry) {
        WebLoginResponse::register(registry);
    }
}

fn signed_in(description: &'static str, schema: MetaSchemaRef) -> MetaResponses {
    MetaResponses {
        responses: vec![MetaResponse {
            description,
            status: Some(200),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: "application/json; charset=utf-8",
                schema,
            }],
            headers: vec![cookie_header()],
        }],
    }
}

pub struct WebSessionApi {
    pub auth: Arc<Auth>,
    pub mfa: Arc<Mfa>,
    pub access_ttl: u64,
    pub refresh_ttl: u64,
}

#[OpenApi(tag = "ApiTags::Auth")]
impl WebSessionApi {
    /// Sign in for the web UI: like `/auth/login`, but the tokens are set as cookies. With
    /// two-step sign-in on, the answer is `{mfa_required: true, mfa_token, methods}` without
    /// cookies: finish with `POST /auth/web/login/mfa`.
    #[oai(path = "/auth/web/login", method = "post", operation_id = "web_login")]
    async fn login(
        &self,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<WebLogin, LoginErrors> {
        let outcome = self
            .auth
            .login(&body.username, &body.password, &client_info(req))
            .await?;
        Ok(match outcome {
            LoginOutcome::SignedIn(user, tokens) => {
                WebLogin(self.session(req, &User::from(&user), Some(tokens)).0)
            }
            LoginOutcome::MfaRequired { mfa_token } => {
                WebLogin(Json(MfaChallenge::new(mfa_token).to_json()).into_response())
            }
        })
    }

    /// The second step of a web login (see `/auth/login/mfa`); sets the session cookies.
    #[oai(
        path = "/auth/web/login/mfa",
        method = "post",
        operation_id = "web_login_mfa"
    )]
    async fn login_mfa(
        &self,
        req: &Request,
        body: Json<MfaLoginRequest>,
    ) -> ApiResult<WebSession, LoginErrors> {
        let (user, tokens) = self
            .mfa
            .complete_login(&body.mfa_token, &body.code, &client_info(req))
            .await?;
        Ok(self.session(req, &User::from(&user), Some(tokens)))
    }

    /// Rotate the web session's tokens from the refresh cookie (send `X-CSRF-Token`).
    #[oai(
        path = "/auth/web/refresh",
        method = "post",
        operation_id = "web_refresh"
    )]
    async fn refresh(&self, req: &Request) -> ApiResult<WebSession, WebSessionErrors> {
        cookies::check_csrf(req)?;
        let refresh = cookies::get(req, REFRESH).ok_or(AuthError::Unauthorized)?;
        let (user, tokens) = self.auth.refresh_session(refresh).await?;
        Ok(self.session(req, &User::from(&user), Some(tokens)))
    }

    /// Sign out of the web UI: the session is revoked and the cookies cleared.
    #[oai(
        path = "/auth/web/logout",
        method = "post",
        operation_id = "web_logout"
    )]
    async fn logout(
        &self,
        req: &Request,
        caller: Caller,
    ) -> ApiResult<SignedOut, WebSessionErrors> {
        self.auth
            .logout(&caller.0, cookies::get(req, REFRESH))
            .await?;
        let mut response = StatusCode::NO_CONTENT.into_response();
        append_cookies(&mut response, self.session_headers(req, None));
        Ok(SignedOut(response))
    }
}

impl WebSessionApi {
    /// A 200 with the user and the cookies of `tokens` (None: cookies cleared).
    fn session(&self, req: &Request, user: &User, tokens: Option<IssuedTokens>) -> WebSession {
        let mut response = Json(user.to_json()).into_response();
        append_cookies(&mut response, self.session_headers(req, tokens.as_ref()));
        WebSession(response)
    }

    fn session_headers(&self, req: &Request, tokens: Option<&IssuedTokens>) -> Vec<String> {
        session_cookies(req, tokens, self.access_ttl, self.refresh_ttl)
    }
}

/// The `Set-Cookie` values of a web session: its tokens' cookies and a fresh CSRF cookie,
/// or (None) the clearing of all three. Single sign-on sets the same ones.
pub(super) fn session_cookies(
    req: &Request,
    tokens: Option<&IssuedTokens>,
    access_ttl: u64,
    refresh_ttl: u64,
) -> Vec<String> {
    let secure = cookies::is_https(req);
    match tokens {
        Some(t) => vec![
            cookies::set(ACCESS, &t.access_token, "/", access_ttl, true, secure),
            cookies::set(
                REFRESH,
                &t.refresh_token,
                REFRESH_PATH,
                refresh_ttl,
                true,
                secure,
            ),
            cookies::set(CSRF, &new_csrf_token(), "/", refresh_ttl, false, secure),
        ],
        None => vec![
            cookies::set(ACCESS, "", "/", 0, true, secure),
            cookies::set(REFRESH, "", REFRESH_PATH, 0, true, secure),
            cookies::set(CSRF, "", "/", 0, false, secure),
        ],
    }
}

pub(super) fn append_cookies(response: &mut Response, cookies: Vec<String>) {
    for cookie in cookies {
        if let Ok(value) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

/// The 204 of a web logout, with the cookie-clearing `Set-Cookie` headers.
pub struct SignedOut(Response);

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for SignedOut {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Signed out; the session is revoked and its cookies cleared.",
                status: Some(204),
                status_range: None,
                content: Vec::new(),
                headers: vec![cookie_header()],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

pub(super) fn cookie_header() -> MetaHeader {
    MetaHeader {
        name: "Set-Cookie".into(),
        description: Some(
            "`hoard_access` and `hoard_refresh` (HttpOnly, SameSite=Strict) and `hoard_csrf`."
                .into(),
        ),
        required: true,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}
