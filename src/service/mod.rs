//! The rules of the product: who may do what, and how the database and caches change.

pub mod accounts;
pub mod admin;
pub mod api_tokens;
pub mod auth;
mod authenticate;
pub mod avatars;
pub mod cache;
pub mod check;
pub mod drive;
pub mod health;
pub mod links;
pub mod media;
pub mod passwords;
mod services;
pub mod shares;
pub mod throttle;
pub mod tokens;
pub mod uploads;
pub mod validate;

pub use services::{Services, StartupError};
// The rows the services hand out are the domain's records: callers above see them here.
pub use crate::db::users::UserRecord;
pub use crate::db::{now, DbError};

use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything that can go wrong in accounts and authentication.
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
    #[error("account is disabled")]
    AccountDisabled,
    #[error("registration is closed")]
    RegistrationClosed,
    #[error("admin role required")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    TooLarge(String),
    #[error("too many attempts, retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

pub type AccountResult<T> = Result<T, AccountError>;

impl From<throttle::RateLimited> for AccountError {
    fn from(limited: throttle::RateLimited) -> Self {
        AccountError::RateLimited {
            retry_after: limited.retry_after,
        }
    }
}

impl From<passwords::HashError> for AccountError {
    fn from(error: passwords::HashError) -> Self {
        AccountError::Internal(error.to_string())
    }
}

impl AccountError {
    /// A validation failure on one field.
    pub fn field(name: &str, problem: impl Into<String>) -> Self {
        AccountError::Validation(BTreeMap::from([(name.to_string(), problem.into())]))
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: Arc<UserRecord>,
    pub credential: Credential,
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An access JWT of a login session.
    Session {
        session_id: i64,
        jti: String,
        expires_at: i64,
    },
    /// A personal API token.
    ApiToken { id: i64 },
}

impl Principal {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn require_admin(&self) -> AccountResult<()> {
        if self.user.is_admin() {
            Ok(())
        } else {
            Err(AccountError::Forbidden)
        }
    }

    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session { session_id, .. } => Some(session_id),
            Credential::ApiToken { .. } => None,
        }
    }
}
