//! The rules of the product: who may do what, and how the database and caches change.

pub mod accounts;
pub mod admin;
pub mod api_tokens;
pub mod auth;
mod authenticate;
pub mod avatars;
mod basic;
pub mod cache;
pub mod check;
pub mod drive;
mod error_shape;
mod errors;
pub mod health;
pub mod links;
pub mod locks;
pub mod media;
pub mod mfa;
pub mod migrate;
pub mod oidc;
pub mod passwords;
mod services;
pub mod sessions;
pub mod shares;
pub mod throttle;
pub mod tokens;
pub mod uploads;
pub mod validate;

pub use errors::{AccountError, AccountResult, AuthError, AuthResult};
pub use services::{Services, StartupError};
// The rows the services hand out are the domain's records: callers above see them here.
pub use crate::db::users::UserRecord;
pub use crate::db::{now, DbError};

use std::sync::Arc;

use crate::ids::UserId;

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
    /// The account password sent with HTTP Basic (WebDAV, SPEC §11).
    Password,
}

impl Principal {
    pub fn id(&self) -> UserId {
        UserId(self.user.id)
    }

    pub fn require_admin(&self) -> AuthResult<()> {
        if self.user.is_admin() {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }

    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session { session_id, .. } => Some(session_id),
            Credential::ApiToken { .. } | Credential::Password => None,
        }
    }
}
