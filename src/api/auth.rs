//! `/auth/*`: registration, login, refresh, logout, password change.

use std::sync::Arc;

use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::extract::security::{client_info, Caller};
use super::extract::text::Text;
use super::respond::failure::{
    ApiResult, LoginErrors, RefreshErrors, RegisterErrors, UserWriteErrors,
};
use super::respond::login::LoginResponse;
use super::respond::models::{AuthResponse, Tokens, User};
use super::{ApiTags, NoContent};
use crate::service::accounts::NewAccount;
use crate::service::auth::Auth;

/// Unknown fields are ignored, not refused (SPEC §4: a `role` sent here is ignored).
#[derive(Debug, Object)]
pub struct RegisterRequest {
    /// 3–32 characters of `A-Z a-z 0-9 _ . -`.
    pub username: Text,
    /// A valid email address.
    pub email: Text,
    /// 8–128 characters, not the username or email, not easily guessed.
    pub password: Text,
    /// When sent, must equal `password`.
    pub password_confirm: Option<Text>,
    /// Defaults to the username; at most 64 characters.
    pub display_name: Option<Text>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email.
    pub username: Text,
    pub password: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from login or the previous refresh.
    pub refresh_token: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LogoutRequest {
    /// Also revoke this refresh token's session (if it is one of yours).
    pub refresh_token: Option<Text>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password. Left out (or empty) only by an account that has none yet
    /// (`has_password` false: made by single sign-on), to set its first one.
    pub old_password: Option<Text>,
    /// Same rules as at registration.
    pub new_password: Text,
    /// When sent, must equal `new_password`.
    pub new_password_confirm: Option<Text>,
}

#[derive(ApiResponse)]
pub enum Registered {
    /// The account was created and signed in.
    #[oai(status = 201)]
    Created(Json<AuthResponse>),
}

pub struct AuthApi {
    pub auth: Arc<Auth>,
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an account and sign in. The first account of an instance becomes admin; a
    /// `role` in the body is ignored. Registrations are limited per client address
    /// (`auth.registrations_per_ip_per_hour`, 10): what counts is an account created and a
    /// refusal as `username_taken` or `email_taken` (probing for accounts); a refusal for a
    /// weak password or an invalid field does not count. Over the limit: 429 `rate_limited`
    /// with `Retry-After`.
    #[oai(path = "/auth/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        req: &Request,
        body: Json<RegisterRequest>,
    ) -> ApiResult<Registered, RegisterErrors> {
        let body = body.0;
        let account = NewAccount {
            username: body.username.into(),
            email: body.email.into(),
            password: body.password.into(),
            password_confirm: body.password_confirm.map(String::from),
            display_name: body.display_name.map(String::from),
            ..NewAccount::default()
        };
        let (user, tokens) = self.auth.register(account, &client_info(req)).await?;
        Ok(Registered::Created(Json(AuthResponse {
            user: User::from(&user),
            tokens: tokens.into(),
        })))
    }

    /// Sign in with username (or email) and password. Repeated failures are throttled per
    /// account and client address (429 with `Retry-After`). With two-step sign-in on, the
    /// right password answers `{mfa_required: true, mfa_token, methods}` and no tokens:
    /// finish with `POST /auth/login/mfa`.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<LoginResponse>, LoginErrors> {
        let outcome = self
            .auth
            .login(&body.username, &body.password, &client_info(req))
            .await?;
        Ok(Json(outcome.into()))
    }

    /// Exchange a refresh token for a new pair. Each refresh token works once: presenting
    /// a used one again revokes its whole session (`token_revoked`).
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(&self, body: Json<RefreshRequest>) -> ApiResult<Json<Tokens>, RefreshErrors> {
        Ok(Json(self.auth.refresh(&body.refresh_token).await?.into()))
    }

    /// End this session: the access token used and its refresh tokens stop working at once.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        caller: Caller,
        body: Json<Option<LogoutRequest>>,
    ) -> ApiResult<NoContent, UserWriteErrors> {
        let refresh = body.0.and_then(|b| b.refresh_token);
        self.auth.logout(&caller.0, refresh.as_deref()).await?;
        Ok(NoContent::Done)
    }

    /// End every session of this account. Personal API tokens keep working.
    #[oai(
        path = "/auth/logout-all",
        method = "post",
        operation_id = "logout_all"
    )]
    async fn logout_all(&self, caller: Caller) -> ApiResult<NoContent, UserWriteErrors> {
        self.auth.logout_all(&caller.0).await?;
        Ok(NoContent::Done)
    }

    /// Change the password. Every session ends (this one too) and a new one is returned.
    /// An account made by single sign-on that has no password yet (`has_password` false)
    /// sets its first one without `old_password`; every other account must send it.
    #[oai(
        path = "/auth/change-password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        req: &Request,
        caller: Caller,
        body: Json<ChangePasswordRequest>,
    ) -> ApiResult<Json<Tokens>, UserWriteErrors> {
        let body = body.0;
        if body
            .new_password_confirm
            .as_ref()
            .is_some_and(|c| c != &body.new_password)
        {
            return Err(crate::service::AccountError::field(
                "new_password_confirm",
                "does not match",
            )
            .into());
        }
        let tokens = self
            .auth
            .change_password(
                &caller.0,
                body.old_password.as_deref(),
                &body.new_password,
                &client_info(req),
            )
            .await?;
        Ok(Json(tokens.into()))
    }
}
