//! Authentication: login, sessions (refresh families with rotation and reuse detection),
//! logout, password change, and `authenticate`, the one check every request goes through.

use std::sync::Arc;
use std::time::Duration;

use crate::config::AuthConfig;
use crate::db::sessions::Rotation;
use crate::db::users::UserRecord;
use crate::db::{self, now, Db};
use crate::ids::UserId;
use crate::secret::{random_secret, sha256_hex};

use super::accounts::{Accounts, NewAccount};
use super::cache::Caches;
use super::passwords::{check_strength, Passwords};
use super::throttle::Throttle;
use super::tokens::{new_jti, Claims, TokenCodec, TokenType, ISSUER};
use super::{AccountError, AuthError, AuthResult, Credential, Principal};

const MAX_LOGIN_KEY: usize = 320;
/// How long the second step of a login may wait (SPEC §12).
pub const MFA_TOKEN_TTL_S: i64 = 300;

/// Why a session starts; only a login counts as `last_login_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionKind {
    Login,
    Registration,
    PasswordChange,
}

/// Where a request came from, as far as sessions and throttles care.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

/// What a right password leads to: a session, or (two-step sign-in on) a second step.
// One per login, moved once: boxing the big variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    SignedIn(UserRecord, IssuedTokens),
    /// The single-use token of the second step (`/auth/login/mfa`).
    MfaRequired {
        mfa_token: String,
    },
}

/// A freshly issued access/refresh pair.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub refresh_expires_in: u64,
}

pub struct Auth {
    pub(super) db: Db,
    pub(super) caches: Arc<Caches>,
    pub(super) codec: Arc<TokenCodec>,
    passwords: Passwords,
    pub(super) accounts: Arc<Accounts>,
    access_ttl: i64,
    refresh_ttl: i64,
    registration_open: bool,
    pub(super) login_per_account: Throttle,
    pub(super) login_per_ip: Throttle,
    registrations: Throttle,
}

impl Auth {
    pub fn new(
        db: Db,
        caches: Arc<Caches>,
        codec: TokenCodec,
        accounts: Arc<Accounts>,
        config: &AuthConfig,
    ) -> Self {
        let window = Duration::from_secs(config.login_window_s);
        Self {
            db,
            caches,
            codec: Arc::new(codec),
            passwords: accounts.passwords().clone(),
            accounts,
            access_ttl: config.access_ttl_s as i64,
            refresh_ttl: config.refresh_ttl_s as i64,
            registration_open: config.registration,
            login_per_account: Throttle::new(config.login_failures_per_account, window),
            login_per_ip: Throttle::new(config.login_failures_per_ip, window),
            registrations: Throttle::new(
                config.registrations_per_ip_per_hour,
                Duration::from_secs(3600),
            ),
        }
    }

    /// Self-service registration; the very first account becomes admin.
    pub async fn register(
        &self,
        account: NewAccount,
        client: &ClientInfo,
    ) -> AuthResult<(UserRecord, IssuedTokens)> {
        if !self.registration_open {
            return Err(AuthError::RegistrationClosed);
        }
        self.registrations.check(&client.ip)?;
        let registered = self.accounts.register(account).await;
        // What counts: a new account, and a name or email found taken (probing for
        // accounts). A refusal for a weak password or a bad field is a typo, not a probe.
        if matches!(
            registered,
            Ok(_) | Err(AccountError::UsernameTaken | AccountError::EmailTaken)
        ) {
            self.registrations.record(&client.ip);
        }
        let user = registered?;
        let tokens = self
            .start_session(UserId(user.id), client, SessionKind::Registration)
            .await?;
        Ok((user, tokens))
    }

    /// Login by username or email. Unknown users and wrong passwords get the same answer
    /// after the same work (a dummy hash is verified). With two-step sign-in on, the right
    /// password opens only the second step.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
        client: &ClientInfo,
    ) -> AuthResult<LoginOutcome> {
        let account_key = account_key(login, &client.ip);
        self.login_per_account.check(&account_key)?;
        self.login_per_ip.check(&client.ip)?;
        let Some(user) = self.verify_password(login, password).await? else {
            self.login_per_account.record(&account_key);
            self.login_per_ip.record(&client.ip);
            return Err(AuthError::InvalidCredentials);
        };
        if !user.is_active {
            return Err(AuthError::AccountDisabled);
        }
        self.login_per_account.reset(&account_key);
        if user.totp_enabled {
            let mfa_token = self.open_challenge(UserId(user.id)).await?;
            return Ok(LoginOutcome::MfaRequired { mfa_token });
        }
        let (user, tokens) = self.sign_in(UserId(user.id), client).await?;
        Ok(LoginOutcome::SignedIn(user, tokens))
    }

    /// Opens the second step of a login and returns its `mfa_token`, stored only hashed;
    /// `service::mfa` finishes it.
    async fn open_challenge(&self, user_id: UserId) -> AuthResult<String> {
        let token = random_secret(32);
        let hash = sha256_hex(&token);
        // Spent and expired second steps go with the hourly purge (`purge_expired`).
        self.db
            .write(move |tx| {
                db::mfa::insert_challenge(tx, &hash, user_id.0, now() + MFA_TOKEN_TTL_S)
            })
            .await?;
        Ok(token)
    }

    /// Starts a login session for an account whose identity is proven (password, second
    /// step or single sign-on): sets `last_login_at` and returns the fresh user row.
    pub(crate) async fn sign_in(
        &self,
        user_id: UserId,
        client: &ClientInfo,
    ) -> AuthResult<(UserRecord, IssuedTokens)> {
        let tokens = self
            .start_session(user_id, client, SessionKind::Login)
            .await?;
        self.caches.users.invalidate(&user_id);
        let user = self.accounts.get(user_id).await?;
        Ok((user, tokens))
    }

    /// The account `login` (username or email) names, if `password` is its password.
    /// Unknown users cost the same work (a dummy hash is verified).
    pub(super) async fn verify_password(
        &self,
        login: &str,
        password: &str,
    ) -> AuthResult<Option<UserRecord>> {
        let login_owned = login.to_owned();
        let user = self
            .db
            .run(move |conn| db::users::by_login(conn, &login_owned))
            .await?;
        let hash = user.as_ref().map(|u| u.password_hash.as_str());
        let verified = self.passwords.verify(password, hash).await?;
        Ok(user.filter(|_| verified))
    }

    /// Rotates a refresh token. Presenting one that was already rotated revokes its whole
    /// family; of many concurrent presentations of one token exactly one wins.
    pub async fn refresh(&self, refresh_token: &str) -> AuthResult<IssuedTokens> {
        let claims = self.codec.verify(refresh_token, TokenType::Refresh)?;
        let user_id = claims.user_id()?;
        let (codec, access_ttl, refresh_ttl) =
            (self.codec.clone(), self.access_ttl, self.refresh_ttl);
        let outcome = self
            .db
            .write(move |tx| -> AuthResult<Result<IssuedTokens, AuthError>> {
                let now = now();
                match db::sessions::use_refresh(tx, &claims.jti, now)? {
                    Rotation::Rotated {
                        session_id,
                        user_id: owner,
                    } if owner == user_id.0 => {
                        let active = db::users::by_id(tx, owner)?.is_some_and(|u| u.is_active);
                        if !active {
                            db::sessions::revoke(tx, session_id, now)?;
                            return Ok(Err(AuthError::TokenRevoked));
                        }
                        Ok(Ok(issue(
                            tx,
                            &codec,
                            user_id,
                            session_id,
                            now,
                            access_ttl,
                            refresh_ttl,
                        )?))
                    }
                    Rotation::Rotated { .. } | Rotation::Unknown => {
                        Ok(Err(AuthError::TokenRevoked))
                    }
                    Rotation::Reused { session_id } => {
                        tracing::warn!(session_id, "refresh token reused; revoking its family");
                        db::sessions::revoke(tx, session_id, now)?;
                        Ok(Err(AuthError::TokenRevoked))
                    }
                }
            })
            .await?;
        if outcome.is_err() {
            self.caches.sessions.invalidate(&claims.sid);
        }
        outcome
    }

    /// The web UI's refresh: rotates the session's tokens and returns its user as the new
    /// access token sees them (checked like any request's).
    pub async fn refresh_session(
        &self,
        refresh_token: &str,
    ) -> AuthResult<(UserRecord, IssuedTokens)> {
        let tokens = self.refresh(refresh_token).await?;
        let principal = self.authenticate(&tokens.access_token).await?;
        let user = self.accounts.get(principal.id()).await?;
        Ok((user, tokens))
    }

    /// Ends the caller's session: its access token is blacklisted and its refresh family
    /// revoked (plus the family of `refresh_token`, if it is another of the caller's).
    pub async fn logout(
        &self,
        principal: &Principal,
        refresh_token: Option<&str>,
    ) -> AuthResult<()> {
        let Credential::Session {
            session_id,
            jti,
            expires_at,
        } = principal.credential.clone()
        else {
            return Err(AccountError::field(
                "authorization",
                "API tokens are revoked with DELETE /auth/tokens/{id}",
            )
            .into());
        };
        let extra = refresh_token
            .and_then(|token| self.codec.verify(token, TokenType::Refresh).ok())
            .filter(|claims| claims.user_id().ok() == Some(principal.id()))
            .map(|claims| claims.sid);
        let jti_for_tx = jti.clone();
        self.db
            .write(move |tx| -> AuthResult<()> {
                let now = now();
                db::revoked::insert(tx, &jti_for_tx, expires_at)?;
                db::sessions::revoke(tx, session_id, now)?;
                if let Some(other) = extra {
                    db::sessions::revoke(tx, other, now)?;
                }
                Ok(())
            })
            .await?;
        self.caches.revoked.invalidate(&jti);
        self.caches.sessions.invalidate(&session_id);
        if let Some(other) = extra {
            self.caches.sessions.invalidate(&other);
        }
        Ok(())
    }

    /// Ends every session of the caller (API tokens keep working).
    pub async fn logout_all(&self, principal: &Principal) -> AuthResult<()> {
        let user_id = principal.id();
        let current = current_jti(principal);
        let ids = self
            .db
            .write(move |tx| -> AuthResult<Vec<i64>> {
                if let Some((jti, exp)) = &current {
                    db::revoked::insert(tx, jti, *exp)?;
                }
                Ok(db::sessions::revoke_all_for_user(tx, user_id.0, now())?)
            })
            .await?;
        self.forget_sessions(&ids, current_jti(principal));
        self.caches.basic.forget_user(user_id);
        Ok(())
    }

    /// Changes the caller's password, ends every session, and starts a new one.
    pub async fn change_password(
        &self,
        principal: &Principal,
        old_password: Option<&str>,
        new_password: &str,
        client: &ClientInfo,
    ) -> AuthResult<IssuedTokens> {
        let user = &principal.user;
        let throttle_key = format!("change-password|{}|{}", user.id, client.ip);
        self.login_per_account.check(&throttle_key)?;
        // An account without a password (single sign-on) sets its first one with none;
        // any other must prove the current one.
        let proven = match old_password.filter(|old| !old.is_empty()) {
            None => !user.has_password(),
            Some(old) => {
                user.has_password()
                    && self
                        .passwords
                        .verify(old, Some(&user.password_hash))
                        .await?
            }
        };
        if !proven {
            self.login_per_account.record(&throttle_key);
            return Err(AuthError::InvalidCredentials);
        }
        check_strength(new_password, &user.username, &user.email)?;
        let hash = self.passwords.hash(new_password).await?;
        let user_id = UserId(user.id);
        let current = current_jti(principal);
        let revoked = current.clone();
        let ids = self
            .db
            .write(move |tx| -> AuthResult<Vec<i64>> {
                let now = now();
                db::users::set_password_hash(tx, user_id.0, &hash, now)?;
                if let Some((jti, exp)) = &revoked {
                    db::revoked::insert(tx, jti, *exp)?;
                }
                Ok(db::sessions::revoke_all_for_user(tx, user_id.0, now)?)
            })
            .await?;
        self.forget_sessions(&ids, current);
        self.caches.users.invalidate(&user_id);
        self.caches.basic.forget_user(user_id);
        self.start_session(user_id, client, SessionKind::PasswordChange)
            .await
    }

    async fn start_session(
        &self,
        user_id: UserId,
        client: &ClientInfo,
        kind: SessionKind,
    ) -> AuthResult<IssuedTokens> {
        let (codec, access_ttl, refresh_ttl) =
            (self.codec.clone(), self.access_ttl, self.refresh_ttl);
        let client = client.clone();
        let (session_id, tokens) = self
            .db
            .write(move |tx| -> AuthResult<(i64, IssuedTokens)> {
                let now = now();
                if kind == SessionKind::Login {
                    db::users::set_last_login(tx, user_id.0, now)?;
                }
                let session_id = db::sessions::insert(
                    tx,
                    user_id.0,
                    now,
                    now + refresh_ttl,
                    &client.user_agent,
                    &client.ip,
                )?;
                let tokens = issue(
                    tx,
                    &codec,
                    user_id,
                    session_id,
                    now,
                    access_ttl,
                    refresh_ttl,
                )?;
                Ok((session_id, tokens))
            })
            .await?;
        // Defensive: a new session never inherits a cached answer about its id.
        self.caches.sessions.invalidate(&session_id);
        Ok(tokens)
    }

    fn forget_sessions(&self, session_ids: &[i64], current: Option<(String, i64)>) {
        for id in session_ids {
            self.caches.sessions.invalidate(id);
        }
        if let Some((jti, _)) = current {
            self.caches.revoked.invalidate(&jti);
        }
    }
}

fn current_jti(principal: &Principal) -> Option<(String, i64)> {
    match &principal.credential {
        Credential::Session {
            jti, expires_at, ..
        } => Some((jti.clone(), *expires_at)),
        Credential::ApiToken { .. } | Credential::Password => None,
    }
}

/// The login throttle's key for an account from an address. Bounded: no real username or
/// email is longer, and a huge login must not become a huge cache key.
pub(super) fn account_key(login: &str, ip: &str) -> String {
    let login_key: String = login.to_lowercase().chars().take(MAX_LOGIN_KEY).collect();
    format!("{login_key}|{ip}")
}

/// Signs a new access/refresh pair for a session and records the refresh token's jti.
fn issue(
    conn: &rusqlite::Connection,
    codec: &TokenCodec,
    user_id: UserId,
    session_id: i64,
    now: i64,
    access_ttl: i64,
    refresh_ttl: i64,
) -> AuthResult<IssuedTokens> {
    let claims = |typ, ttl| Claims {
        sub: user_id.to_string(),
        jti: new_jti(),
        iat: now,
        exp: now + ttl,
        typ,
        iss: ISSUER.into(),
        sid: session_id,
    };
    let access = claims(TokenType::Access, access_ttl);
    let refresh = claims(TokenType::Refresh, refresh_ttl);
    db::sessions::insert_refresh(conn, &refresh.jti, session_id, now, refresh.exp)?;
    Ok(IssuedTokens {
        access_token: codec.sign(&access)?,
        refresh_token: codec.sign(&refresh)?,
        expires_in: access_ttl as u64,
        refresh_expires_in: refresh_ttl as u64,
    })
}
