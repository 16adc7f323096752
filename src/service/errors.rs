//! The errors of accounts and of signing in, kept apart: what is wrong with an account's
//! fields or a change to it (`AccountError`), and who the caller is or may be (`AuthError`).
//! Registration and password changes do both, so `AuthError` can carry an `AccountError`.

use std::collections::BTreeMap;

use super::passwords::HashError;
use super::throttle::RateLimited;
use crate::db::DbError;

/// What can go wrong validating, creating or changing an account.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("some fields are invalid")]
    Validation(BTreeMap<String, String>),
    #[error("password is too weak")]
    WeakPassword(BTreeMap<String, String>),
    #[error("{0}")]
    InvalidImage(String),
    #[error("the last active admin cannot be demoted, deactivated or deleted")]
    LastAdmin,
    #[error("username is already taken")]
    UsernameTaken,
    #[error("email is already registered")]
    EmailTaken,
    /// A wrong or spent code while turning two-step sign-in on, off or renewing its codes.
    #[error("wrong or already used code")]
    InvalidCode,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

pub type AccountResult<T> = Result<T, AccountError>;

impl AccountError {
    /// A validation failure on one field.
    pub fn field(name: &str, problem: impl Into<String>) -> Self {
        AccountError::Validation(BTreeMap::from([(name.to_string(), problem.into())]))
    }

    /// The SPEC's stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::WeakPassword(_) => "weak_password",
            Self::InvalidImage(_) => "invalid_image",
            Self::LastAdmin => "last_admin",
            Self::UsernameTaken => "username_taken",
            Self::EmailTaken => "email_taken",
            Self::InvalidCode => "invalid_code",
            Self::NotFound => "not_found",
            Self::TooLarge(_) => "too_large",
            Self::Db(_) | Self::Internal(_) => "internal",
        }
    }
}

impl From<HashError> for AccountError {
    fn from(error: HashError) -> Self {
        AccountError::Internal(error.to_string())
    }
}

/// What can go wrong signing in, proving who the caller is (tokens, sessions, signed
/// links) or what they may do.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("authentication required")]
    Unauthorized,
    #[error("invalid token")]
    InvalidToken,
    #[error("token has expired")]
    TokenExpired,
    #[error("token has been revoked")]
    TokenRevoked,
    /// The second step of a login: a wrong or spent TOTP or recovery code.
    #[error("wrong or already used code")]
    InvalidCode,
    /// The account password where two-step sign-in is on (WebDAV, HTTP Basic).
    #[error(
        "two-step sign-in is on for this account: use a personal API token instead of the password"
    )]
    PasswordNotEnough,
    #[error("account is disabled")]
    AccountDisabled,
    #[error("registration is closed")]
    RegistrationClosed,
    #[error("admin role required")]
    Forbidden,
    /// A session that is not the caller's.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    /// The account side of registering, changing one's password or signing in.
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

pub type AuthResult<T> = Result<T, AuthError>;

impl AuthError {
    /// The SPEC's stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials | Self::PasswordNotEnough => "invalid_credentials",
            Self::InvalidCode => "invalid_code",
            Self::Unauthorized => "unauthorized",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::AccountDisabled => "account_disabled",
            Self::RegistrationClosed => "registration_closed",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::RateLimited(_) => "rate_limited",
            Self::Account(account) => account.code(),
            Self::Db(_) | Self::Internal(_) => "internal",
        }
    }
}

impl From<HashError> for AuthError {
    fn from(error: HashError) -> Self {
        AuthError::Internal(error.to_string())
    }
}
