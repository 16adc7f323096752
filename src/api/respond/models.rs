//! Response shapes shared by several resources.

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::{Enum, Object};

use crate::service::auth::IssuedTokens;
use crate::service::UserRecord;

/// A unix timestamp as an RFC 3339 UTC time.
pub fn time(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// An account's role: `user` or `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

/// An account as the API shows it (never with its password hash).
#[derive(Debug, Clone, Object)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Login name, unique case-insensitively.
    pub username: String,
    /// Email address, unique case-insensitively; also accepted as a login name.
    pub email: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Free text, at most 500 characters.
    pub bio: String,
    /// Where the avatar is served, or null when none is set.
    #[oai(nullable)]
    pub avatar_url: Option<String>,
    // No `///`: a described enum field becomes `allOf`, which openapi-python-client drops.
    pub role: Role,
    /// Deactivated accounts cannot sign in and their tokens are refused.
    pub is_active: bool,
    /// False for an account made by single sign-on that has not set a password yet: it
    /// signs in through its identity provider, and `POST /auth/change-password` sets its
    /// first password without `old_password`.
    pub has_password: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Last successful login, or null.
    #[oai(nullable)]
    pub last_login_at: Option<DateTime<Utc>>,
    /// Logical bytes of the user's files, trash included.
    pub storage_used: i64,
    /// Quota in bytes; null means unlimited.
    #[oai(nullable)]
    pub storage_quota: Option<i64>,
    /// Whether two-step sign-in (TOTP) is on.
    pub totp_enabled: bool,
}

impl From<&UserRecord> for User {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            bio: user.bio.clone(),
            avatar_url: user
                .avatar_updated_at
                .map(|v| format!("/api/v1/users/{}/avatar?v={v}", user.id)),
            role: if user.is_admin() {
                Role::Admin
            } else {
                Role::User
            },
            is_active: user.is_active,
            has_password: user.has_password(),
            created_at: time(user.created_at),
            last_login_at: user.last_login_at.map(time),
            storage_used: user.storage_used,
            storage_quota: user.storage_quota,
            totp_enabled: user.totp_enabled,
        }
    }
}

/// An access/refresh token pair.
#[derive(Debug, Clone, Object)]
pub struct Tokens {
    /// Bearer JWT for API calls.
    pub access_token: String,
    /// JWT for `POST /auth/refresh`; single use (rotated on every refresh).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_expires_in: u64,
}

impl From<IssuedTokens> for Tokens {
    fn from(tokens: IssuedTokens) -> Self {
        Self {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: "Bearer".into(),
            expires_in: tokens.expires_in,
            refresh_expires_in: tokens.refresh_expires_in,
        }
    }
}

/// A signed-in user with their new tokens.
#[derive(Debug, Clone, Object)]
pub struct AuthResponse {
    /// The account.
    pub user: User,
    /// Its new session's tokens.
    pub tokens: Tokens,
}

/// Declares a list type of the SPEC's shape `{items, total, limit, offset}`.
macro_rules! list_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, poem_openapi::Object)]
        pub struct $name {
            /// This page of items.
            pub items: Vec<$item>,
            /// How many items there are in all.
            pub total: i64,
            /// The page size used (at most 1000).
            pub limit: i64,
            /// How many items were skipped.
            pub offset: i64,
        }
    };
}
pub(crate) use list_type;

list_type!(
    /// A page of users.
    UserList, User
);
