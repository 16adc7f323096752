//! `authenticate`: the one check every request goes through, whatever carries the credential.

use crate::db::{self, now};
use crate::ids::UserId;

use super::auth::Auth;
use super::tokens::{TokenType, API_TOKEN_PREFIX};
use super::{AuthError, AuthResult, Credential, Principal};

impl Auth {
    /// Decides who a bearer credential belongs to. Every rule that can end a token
    /// (blacklist, revoked session, deactivated or deleted user) is checked here, against
    /// caches that every write path invalidates.
    pub async fn authenticate(&self, bearer: &str) -> AuthResult<Principal> {
        if bearer.starts_with(API_TOKEN_PREFIX) {
            return self.accounts.authenticate_api_token(bearer).await;
        }
        let claims = self.codec.verify(bearer, TokenType::Access)?;
        let user_id = claims.user_id()?;
        if self.is_blacklisted(&claims.jti).await? {
            return Err(AuthError::TokenRevoked);
        }
        if self.session_owner(claims.sid).await? != Some(user_id) {
            return Err(AuthError::TokenRevoked);
        }
        let user = self
            .accounts
            .cached_user(user_id)
            .await?
            .ok_or(AuthError::TokenRevoked)?;
        if !user.is_active {
            return Err(AuthError::TokenRevoked);
        }
        let credential = Credential::Session {
            session_id: claims.sid,
            jti: claims.jti,
            expires_at: claims.exp,
        };
        Ok(Principal { user, credential })
    }

    async fn is_blacklisted(&self, jti: &str) -> AuthResult<bool> {
        let db = self.db.clone();
        let key = jti.to_owned();
        self.caches
            .revoked
            .get_or_load(key.clone(), || async move {
                db.run(move |conn| db::revoked::contains(conn, &key)).await
            })
            .await
            .map_err(AuthError::from)
    }

    async fn session_owner(&self, session_id: i64) -> AuthResult<Option<UserId>> {
        let db = self.db.clone();
        self.caches
            .sessions
            .get_or_load(session_id, || async move {
                db.run(move |conn| -> db::DbResult<Option<UserId>> {
                    let session = db::sessions::by_id(conn, session_id)?;
                    Ok(session
                        .filter(|s| s.is_live(now()))
                        .map(|s| UserId(s.user_id)))
                })
                .await
            })
            .await
            .map_err(AuthError::from)
    }
}
