//! What a login answers (SPEC §12): a session, or the second step two-step sign-in asks for.

use poem_openapi::{Object, Union};

use super::models::{AuthResponse, User};
use crate::service::auth::LoginOutcome;

/// The password was right and two-step sign-in is on: send a code with `mfa_token` to
/// `/auth/login/mfa` (or `/auth/web/login/mfa`). No tokens yet.
#[derive(Debug, Clone, Object)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Single use; valid five minutes.
    pub mfa_token: String,
    /// What the second step accepts: `totp`, `recovery_code`.
    pub methods: Vec<String>,
}

impl MfaChallenge {
    pub fn new(mfa_token: String) -> Self {
        Self {
            mfa_required: true,
            mfa_token,
            methods: vec!["totp".into(), "recovery_code".into()],
        }
    }
}

/// `POST /auth/login`: signed in, or a second step to take.
// One per login, moved once: boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Union)]
#[oai(one_of)]
pub enum LoginResponse {
    SignedIn(AuthResponse),
    MfaRequired(MfaChallenge),
}

impl From<LoginOutcome> for LoginResponse {
    fn from(outcome: LoginOutcome) -> Self {
        match outcome {
            LoginOutcome::SignedIn(user, tokens) => LoginResponse::SignedIn(AuthResponse {
                user: User::from(&user),
                tokens: tokens.into(),
            }),
            LoginOutcome::MfaRequired { mfa_token } => {
                LoginResponse::MfaRequired(MfaChallenge::new(mfa_token))
            }
        }
    }
}

/// `POST /auth/web/login`: the user (with the session cookies set), or a second step.
#[derive(Debug, Clone, Union)]
#[oai(one_of)]
pub enum WebLoginResponse {
    SignedIn(User),
    MfaRequired(MfaChallenge),
}
