//! HTTP Basic sign-in for WebDAV (SPEC §11): the username or email with either a personal
//! API token (the "app password") or, when allowed, the account password. Failures count
//! against the same throttles as login; a verified password is remembered briefly
//! ([`super::cache::basic`]).

use std::sync::Arc;

use crate::db;
use crate::ids::UserId;

use super::auth::{account_key, Auth, ClientInfo};
use super::cache::basic::Grant;
use super::tokens::API_TOKEN_PREFIX;
use super::{AuthError, AuthResult, Credential, Principal};

impl Auth {
    /// Who `login:secret` is. `password_login` is `webdav.password_login`: whether the
    /// account password is accepted at all (API tokens always are).
    pub async fn authenticate_basic(
        &self,
        login: &str,
        secret: &str,
        password_login: bool,
        client: &ClientInfo,
    ) -> AuthResult<Principal> {
        let account_key = account_key(login, &client.ip);
        self.login_per_account.check(&account_key)?;
        self.login_per_ip.check(&client.ip)?;
        let verified = match secret.starts_with(API_TOKEN_PREFIX) {
            true => self.basic_token(login, secret).await,
            false if password_login => self.basic_password(login, secret).await,
            false => Err(AuthError::InvalidCredentials),
        };
        match verified {
            Err(AuthError::InvalidCredentials | AuthError::InvalidToken) => {
                self.login_per_account.record(&account_key);
                self.login_per_ip.record(&client.ip);
                Err(AuthError::InvalidCredentials)
            }
            other => other,
        }
    }

    /// An API token whose owner is `login`.
    async fn basic_token(&self, login: &str, secret: &str) -> AuthResult<Principal> {
        let principal = self.accounts.authenticate_api_token(secret).await?;
        let user = &principal.user;
        let named = user.username.eq_ignore_ascii_case(login) || user.email == login.to_lowercase();
        match named {
            true => Ok(principal),
            false => Err(AuthError::InvalidCredentials),
        }
    }

    async fn basic_password(&self, login: &str, password: &str) -> AuthResult<Principal> {
        let cache = &self.caches.basic;
        let key = cache.key(login, password);
        if let Some(grant) = cache.get(&key) {
            if let Some(user) = self.accounts.cached_user(grant.user).await? {
                if *user.password_hash == *grant.password_hash {
                    return password_principal(user);
                }
            }
        }
        let epoch = cache.epoch();
        let user = self
            .verify_password(login, password)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        let grant = Grant {
            user: UserId(user.id),
            password_hash: Arc::from(user.password_hash.as_str()),
        };
        cache.insert(key, grant, epoch);
        password_principal(Arc::new(user))
    }
}

fn password_principal(user: Arc<db::users::UserRecord>) -> AuthResult<Principal> {
    if !user.is_active {
        return Err(AuthError::AccountDisabled);
    }
    if user.totp_enabled {
        return Err(AuthError::PasswordNotEnough);
    }
    Ok(Principal {
        user,
        credential: Credential::Password,
    })
}
