//! Two-step sign-in (SPEC §12): its state and settings under `/auth/mfa`, the second step
//! of a login (`/auth/login/mfa`), and the admin's reset (`/users/{id}/mfa`).

use std::sync::Arc;

use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::extract::security::{client_info, AdminCaller, Caller};
use super::extract::text::Text;
use super::respond::failure::{AdminWriteErrors, ApiResult, LoginErrors, MfaErrors, UserErrors};
use super::respond::models::{AuthResponse, User};
use super::{ApiTags, NoContent};
use crate::ids::UserId;
use crate::service::mfa::{self, Mfa};

/// The caller's two-step sign-in.
#[derive(Debug, Object)]
pub struct MfaStatus {
    /// Whether a TOTP code is asked for after the password.
    pub totp_enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

impl From<mfa::MfaStatus> for MfaStatus {
    fn from(status: mfa::MfaStatus) -> Self {
        Self {
            totp_enabled: status.totp_enabled,
            recovery_codes_left: status.recovery_codes_left,
        }
    }
}

/// A TOTP secret to add to an authenticator app (not on until `enable`).
#[derive(Debug, Object)]
pub struct TotpSetup {
    /// Base32, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/Hoard:<username>?secret=…&issuer=Hoard…`
    pub otpauth_url: String,
    /// An SVG document: the QR code of `otpauth_url`.
    pub qr_svg: String,
}

impl From<mfa::TotpSetup> for TotpSetup {
    fn from(setup: mfa::TotpSetup) -> Self {
        Self {
            secret: setup.secret,
            otpauth_url: setup.otpauth_url,
            qr_svg: setup.qr_svg,
        }
    }
}

/// Ten single-use recovery codes, shown only in this answer.
#[derive(Debug, Object)]
pub struct RecoveryCodes {
    /// `xxxx-xxxx-xxxx`, each good for one sign-in or change instead of a TOTP code.
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordRequest {
    /// The account password.
    pub password: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CodeRequest {
    /// Six digits from the authenticator app.
    pub code: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordAndCodeRequest {
    /// The account password.
    pub password: Text,
    /// A code from the authenticator app, or an unused recovery code (which it spends).
    pub code: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct MfaLoginRequest {
    /// From the login's `mfa_required` answer; single use, valid five minutes.
    pub mfa_token: Text,
    /// Six digits from the authenticator app, or an unused recovery code
    /// (`xxxx-xxxx-xxxx`; dashes, spaces and case do not matter).
    pub code: Text,
}

pub struct MfaApi {
    pub mfa: Arc<Mfa>,
}

#[OpenApi(tag = "ApiTags::Auth")]
impl MfaApi {
    /// Whether two-step sign-in is on, and how many recovery codes are left.
    #[oai(path = "/auth/mfa", method = "get", operation_id = "get_mfa")]
    async fn status(&self, caller: Caller) -> ApiResult<Json<MfaStatus>, UserErrors> {
        Ok(Json(self.mfa.status(&caller.0).await?.into()))
    }

    /// Start setting up TOTP (RFC 6238: SHA-1, 6 digits, 30 s): a new secret, its
    /// `otpauth://` URL and that URL as an SVG QR code. Nothing is on until `enable` gets a
    /// code from it; a second setup replaces an unconfirmed secret. 422 `validation_failed`
    /// when two-step sign-in is already on; 401 `invalid_credentials` for a wrong password.
    #[oai(
        path = "/auth/mfa/totp/setup",
        method = "post",
        operation_id = "setup_totp"
    )]
    async fn setup(
        &self,
        req: &Request,
        caller: Caller,
        body: Json<PasswordRequest>,
    ) -> ApiResult<Json<TotpSetup>, MfaErrors> {
        let setup = self
            .mfa
            .setup(&caller.0, &body.password, &client_info(req))
            .await?;
        Ok(Json(setup.into()))
    }

    /// Turn two-step sign-in on with a code from the secret of `setup`. The answer holds
    /// ten single-use recovery codes, shown this once (only their hashes are kept). From
    /// now on the password alone opens nothing but the two-step login: WebDAV and scripts
    /// use personal API tokens. A wrong code is 422 `invalid_code`.
    #[oai(
        path = "/auth/mfa/totp/enable",
        method = "post",
        operation_id = "enable_totp"
    )]
    async fn enable(
        &self,
        req: &Request,
        caller: Caller,
        body: Json<CodeRequest>,
    ) -> ApiResult<Json<RecoveryCodes>, MfaErrors> {
        let codes = self
            .mfa
            .enable(&caller.0, &body.code, &client_info(req))
            .await?;
        Ok(Json(RecoveryCodes {
            recovery_codes: codes,
        }))
    }

    /// Turn two-step sign-in off (password and a code). Every other session of the
    /// account ends; this one stays. A wrong code is 422 `invalid_code`.
    #[oai(
        path = "/auth/mfa/totp",
        method = "delete",
        operation_id = "disable_totp"
    )]
    async fn disable(
        &self,
        req: &Request,
        caller: Caller,
        body: Json<PasswordAndCodeRequest>,
    ) -> ApiResult<NoContent, MfaErrors> {
        self.mfa
            .disable(&caller.0, &body.password, &body.code, &client_info(req))
            .await?;
        Ok(NoContent::Done)
    }

    /// A new set of ten recovery codes (password and a code); the old set stops working.
    #[oai(
        path = "/auth/mfa/recovery-codes",
        method = "post",
        operation_id = "regenerate_recovery_codes"
    )]
    async fn regenerate(
        &self,
        req: &Request,
        caller: Caller,
        body: Json<PasswordAndCodeRequest>,
    ) -> ApiResult<Json<RecoveryCodes>, MfaErrors> {
        let codes = self
            .mfa
            .regenerate(&caller.0, &body.password, &body.code, &client_info(req))
            .await?;
        Ok(Json(RecoveryCodes {
            recovery_codes: codes,
        }))
    }

    /// The second step of a login. A TOTP code is accepted once (no replay within its
    /// window), a recovery code once ever. A wrong code is 401 `invalid_code` and leaves
    /// `mfa_token` usable; failures are throttled like passwords (429). An expired
    /// `mfa_token` is 401 `token_expired`, a used or unknown one 401 `invalid_token`.
    #[oai(path = "/auth/login/mfa", method = "post", operation_id = "login_mfa")]
    async fn login(
        &self,
        req: &Request,
        body: Json<MfaLoginRequest>,
    ) -> ApiResult<Json<AuthResponse>, LoginErrors> {
        let (user, tokens) = self
            .mfa
            .complete_login(&body.mfa_token, &body.code, &client_info(req))
            .await?;
        Ok(Json(AuthResponse {
            user: User::from(&user),
            tokens: tokens.into(),
        }))
    }

    /// Admin: turn a (locked-out) user's two-step sign-in off; their secret and recovery
    /// codes are deleted. Their sessions and tokens are untouched.
    #[oai(
        path = "/users/:id/mfa",
        method = "delete",
        operation_id = "reset_user_mfa"
    )]
    async fn reset(
        &self,
        admin: AdminCaller,
        id: Path<i64>,
    ) -> ApiResult<NoContent, AdminWriteErrors> {
        self.mfa.reset(&admin.0, UserId(id.0)).await?;
        Ok(NoContent::Done)
    }
}
