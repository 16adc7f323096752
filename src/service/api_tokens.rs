//! Personal API tokens: `hoard_pat_` + 256 random bits, shown once, stored as sha256.

use std::sync::Arc;

pub use crate::db::api_tokens::ApiTokenRecord;
use crate::db::{self, now, DbError};

use super::accounts::Accounts;
use super::tokens::API_TOKEN_PREFIX;
use super::{AccountError, AccountResult, AuthError, AuthResult, Credential, Principal};
use crate::ids::UserId;
use crate::secret::{random_secret, sha256_hex};

/// How often `last_used_at` is written for a busy token.
const TOUCH_INTERVAL_S: i64 = 60;
pub const MAX_DAYS: i64 = 3650;

impl Accounts {
    /// Creates a token; the secret is returned once and never stored.
    pub async fn create_api_token(
        &self,
        principal: &Principal,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> AccountResult<(ApiTokenRecord, String)> {
        let name = super::validate::label("name", name)?;
        if let Some(days) = expires_in_days.filter(|d| !(1..=MAX_DAYS).contains(d)) {
            return Err(AccountError::field(
                "expires_in_days",
                format!("{days} is not between 1 and {MAX_DAYS}"),
            ));
        }
        let secret = format!("{API_TOKEN_PREFIX}{}", random_secret(32));
        let hash = sha256_hex(&secret);
        let user_id = principal.id().0;
        let record = self
            .db
            .write(move |tx| -> AccountResult<ApiTokenRecord> {
                let now = now();
                let expires_at = expires_in_days.map(|days| now + days * 86_400);
                let id = db::api_tokens::insert(tx, user_id, &name, &hash, now, expires_at)?;
                db::api_tokens::by_id(tx, id)?.ok_or(AccountError::NotFound)
            })
            .await?;
        Ok((record, secret))
    }

    pub async fn api_tokens(
        &self,
        principal: &Principal,
        limit: i64,
        offset: i64,
    ) -> AccountResult<(Vec<ApiTokenRecord>, i64)> {
        let user_id = principal.id().0;
        Ok(self
            .db
            .run(move |conn| db::api_tokens::live_for_user(conn, user_id, now(), limit, offset))
            .await?)
    }

    /// Revokes one of the caller's tokens; anyone else's is `NotFound`.
    pub async fn revoke_api_token(&self, principal: &Principal, id: i64) -> AccountResult<()> {
        let user_id = principal.id().0;
        let hash = self
            .db
            .write(move |tx| -> AccountResult<_> {
                Ok(db::api_tokens::revoke(tx, user_id, id, now())?)
            })
            .await?
            .ok_or(AccountError::NotFound)?;
        self.caches.api_tokens.invalidate(&hash);
        Ok(())
    }

    /// Resolves a `hoard_pat_…` bearer to its owner.
    pub async fn authenticate_api_token(&self, secret: &str) -> AuthResult<Principal> {
        let hash = sha256_hex(secret);
        let db = self.db.clone();
        let key = hash.clone();
        let token = self
            .caches
            .api_tokens
            .get_or_load(hash.clone(), || async move {
                let record = db
                    .run(move |conn| db::api_tokens::by_hash(conn, &key))
                    .await?;
                Ok::<_, DbError>(record.map(Arc::new))
            })
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let now = now();
        if token.revoked_at.is_some() {
            return Err(AuthError::TokenRevoked);
        }
        if token.expires_at.is_some_and(|exp| exp <= now) {
            return Err(AuthError::TokenExpired);
        }
        let owner = token.user_id.ok_or(AuthError::TokenRevoked)?;
        let user = self
            .cached_user(UserId(owner))
            .await?
            .ok_or(AuthError::TokenRevoked)?;
        if !user.is_active {
            return Err(AuthError::TokenRevoked);
        }
        if token
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_INTERVAL_S)
        {
            let id = token.id;
            self.db
                .write(move |tx| -> AuthResult<()> { Ok(db::api_tokens::touch(tx, id, now)?) })
                .await?;
            self.caches.api_tokens.invalidate(&hash);
        }
        Ok(Principal {
            user,
            credential: Credential::ApiToken { id: token.id },
        })
    }
}
