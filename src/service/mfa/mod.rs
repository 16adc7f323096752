//! Two-step sign-in (SPEC §12): a TOTP secret per account, ten recovery codes, and the
//! second step of a login whose password was right. Managing it needs the password and a
//! code; every failure counts against the login throttles.

mod login;
mod proof;
pub mod qr;
pub mod recovery;
pub mod secret;

use std::sync::Arc;

use crate::db::{self, now, Db};
use crate::ids::UserId;
use crate::secret::ServerSecret;

use super::auth::{Auth, ClientInfo};
use super::passwords::Passwords;
use super::{AccountError, AccountResult, AuthError, AuthResult, Principal};
use proof::Proof;
use secret::Sealer;

/// What `GET /auth/mfa` shows.
#[derive(Debug, Clone, Copy)]
pub struct MfaStatus {
    pub totp_enabled: bool,
    pub recovery_codes_left: i64,
}

/// A secret set up but not yet enabled, as shown once to its owner.
#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

pub struct Mfa {
    db: Db,
    auth: Arc<Auth>,
    passwords: Passwords,
    sealer: Sealer,
}

impl Mfa {
    pub fn new(db: Db, auth: Arc<Auth>, passwords: Passwords, secret: &ServerSecret) -> Self {
        Self {
            db,
            auth,
            passwords,
            sealer: Sealer::new(secret),
        }
    }

    pub async fn status(&self, principal: &Principal) -> AuthResult<MfaStatus> {
        let user_id = principal.id().0;
        let (totp, left) = self
            .db
            .run(move |conn| -> db::DbResult<_> {
                Ok((
                    db::mfa::totp(conn, user_id)?,
                    db::mfa::recovery_codes_left(conn, user_id)?,
                ))
            })
            .await?;
        Ok(MfaStatus {
            totp_enabled: totp.is_some_and(|t| t.enabled),
            recovery_codes_left: left,
        })
    }

    /// Makes a new secret for the caller, pending until `enable` sees a code from it.
    pub async fn setup(
        &self,
        principal: &Principal,
        password: &str,
        client: &ClientInfo,
    ) -> AuthResult<TotpSetup> {
        self.check_password(principal, password, client).await?;
        if principal.user.totp_enabled {
            return Err(already_on());
        }
        let secret = secret::new_secret();
        let otpauth_url = secret::otpauth_url(&secret, &principal.user.username)?;
        let sealed = self.sealer.seal(&secret)?;
        let user_id = principal.id().0;
        self.db
            .write(move |tx| db::mfa::set_pending(tx, user_id, &sealed, now()))
            .await?;
        Ok(TotpSetup {
            secret: secret::base32(&secret),
            qr_svg: qr::svg(&otpauth_url)?,
            otpauth_url,
        })
    }

    /// Turns two-step sign-in on with a code from the pending secret; the recovery codes
    /// are returned, the only time they are ever shown.
    pub async fn enable(
        &self,
        principal: &Principal,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<Vec<String>> {
        let key = self.throttle_key(principal.id(), client)?;
        let user_id = principal.id().0;
        let totp = self
            .db
            .run(move |conn| db::mfa::totp(conn, user_id))
            .await?;
        let totp = match totp {
            Some(totp) if totp.enabled => return Err(already_on()),
            Some(totp) => totp,
            None => return Err(AccountError::field("code", "set up two-step sign-in first").into()),
        };
        let Some(proof) = self.totp_proof(&totp, code)? else {
            return Err(self.wrong_code(&key, client, AccountError::InvalidCode.into()));
        };
        let (shown, hashed) = self.new_recovery_codes().await?;
        let consumed = self
            .db
            .write(move |tx| -> AuthResult<bool> {
                if !proof.consume(tx, user_id, now())? {
                    return Ok(false);
                }
                db::mfa::enable(tx, user_id, now())?;
                db::mfa::replace_recovery_codes(tx, user_id, &hashed)?;
                Ok(true)
            })
            .await?;
        if !consumed {
            return Err(self.wrong_code(&key, client, AccountError::InvalidCode.into()));
        }
        self.auth.login_per_account.reset(&key);
        self.forget_user(principal.id());
        Ok(shown)
    }

    /// Turns two-step sign-in off (password and a code); every other session ends.
    pub async fn disable(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<()> {
        let proof = self.confirm(principal, password, code, client).await?;
        let user_id = principal.id().0;
        let keep = principal.session_id();
        let ended = self
            .db
            .write(move |tx| -> AuthResult<Option<Vec<i64>>> {
                if !proof.consume(tx, user_id, now())? {
                    return Ok(None);
                }
                db::mfa::remove(tx, user_id)?;
                Ok(Some(db::sessions::revoke_others(tx, user_id, keep, now())?))
            })
            .await?
            .ok_or(AccountError::InvalidCode)?;
        for session in ended {
            self.auth.caches.sessions.invalidate(&session);
        }
        self.forget_user(principal.id());
        Ok(())
    }

    /// A new set of recovery codes (password and a code); the old set stops working.
    pub async fn regenerate(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<Vec<String>> {
        let proof = self.confirm(principal, password, code, client).await?;
        let (shown, hashed) = self.new_recovery_codes().await?;
        let user_id = principal.id().0;
        let consumed = self
            .db
            .write(move |tx| -> AuthResult<bool> {
                if !proof.consume(tx, user_id, now())? {
                    return Ok(false);
                }
                db::mfa::replace_recovery_codes(tx, user_id, &hashed)?;
                Ok(true)
            })
            .await?;
        if consumed {
            Ok(shown)
        } else {
            Err(AccountError::InvalidCode.into())
        }
    }

    /// An admin turns a (locked-out) user's two-step sign-in off.
    pub async fn reset(&self, admin: &Principal, user_id: UserId) -> AuthResult<()> {
        admin.require_admin()?;
        self.turn_off(user_id).await?;
        tracing::info!(
            admin = admin.id().0,
            user = user_id.0,
            "two-step sign-in reset"
        );
        Ok(())
    }

    /// Turns an account's two-step sign-in off without asking who wants it: for the
    /// admin's reset and `hoard user reset-mfa` (an admin locked out of their own account).
    pub async fn turn_off(&self, user_id: UserId) -> AccountResult<()> {
        let found = self
            .db
            .write(move |tx| -> AccountResult<bool> {
                if db::users::by_id(tx, user_id.0)?.is_none() {
                    return Ok(false);
                }
                db::mfa::remove(tx, user_id.0)?;
                Ok(true)
            })
            .await?;
        if !found {
            return Err(AccountError::NotFound);
        }
        self.forget_user(user_id);
        Ok(())
    }

    /// The password and a code (TOTP or recovery) of an account with two-step sign-in on.
    async fn confirm(
        &self,
        principal: &Principal,
        password: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<Proof> {
        let key = self.check_password(principal, password, client).await?;
        if !principal.user.totp_enabled {
            return Err(AccountError::field("code", "two-step sign-in is not on").into());
        }
        match self.proof(principal.id(), code).await? {
            Some(proof) => Ok(proof),
            None => Err(self.wrong_code(&key, client, AccountError::InvalidCode.into())),
        }
    }

    /// Checks the throttles, then the caller's password; returns the throttle key the code
    /// that follows counts against.
    async fn check_password(
        &self,
        principal: &Principal,
        password: &str,
        client: &ClientInfo,
    ) -> AuthResult<String> {
        let key = self.throttle_key(principal.id(), client)?;
        let hash = principal.user.password_hash.as_str();
        if self.passwords.verify(password, Some(hash)).await? {
            return Ok(key);
        }
        Err(self.wrong_code(&key, client, AuthError::InvalidCredentials))
    }

    /// Checks the throttles for second steps and changes of this account from this address.
    fn throttle_key(&self, user_id: UserId, client: &ClientInfo) -> AuthResult<String> {
        let key = format!("mfa|{}|{}", user_id.0, client.ip);
        self.auth.login_per_account.check(&key)?;
        self.auth.login_per_ip.check(&client.ip)?;
        Ok(key)
    }

    /// Counts a failure against the throttles and returns `error`.
    fn wrong_code(&self, key: &str, client: &ClientInfo, error: AuthError) -> AuthError {
        self.auth.login_per_account.record(key);
        self.auth.login_per_ip.record(&client.ip);
        error
    }

    async fn new_recovery_codes(&self) -> AuthResult<(Vec<String>, Vec<(String, String)>)> {
        let shown: Vec<String> = (0..recovery::COUNT).map(|_| recovery::generate()).collect();
        let mut hashed = Vec::with_capacity(shown.len());
        for code in &shown {
            let normal = recovery::normalize(code)
                .ok_or_else(|| AuthError::Internal("a generated code does not parse".into()))?;
            let hash = self.passwords.hash(&normal).await?;
            hashed.push((recovery::lookup(&normal).to_owned(), hash));
        }
        Ok((shown, hashed))
    }

    fn forget_user(&self, user_id: UserId) {
        self.auth.caches.users.invalidate(&user_id);
        self.auth.caches.basic.forget_user(user_id);
    }
}

fn already_on() -> AuthError {
    AccountError::field("totp", "two-step sign-in is already on").into()
}
