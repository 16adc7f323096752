//! The second step of a login: the password was right, two-step sign-in is on, and the
//! client holds a single-use `mfa_token` that lives five minutes.

use crate::db::{self, now};
use crate::ids::UserId;
use crate::secret::sha256_hex;
use crate::service::auth::{ClientInfo, IssuedTokens};
use crate::service::{AuthError, AuthResult, UserRecord};

use super::Mfa;

impl Mfa {
    /// Finishes a login with a TOTP code or a recovery code. A wrong code leaves the token
    /// usable (until it expires or the throttle stops it); a right one spends both.
    pub async fn complete_login(
        &self,
        mfa_token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> AuthResult<(UserRecord, IssuedTokens)> {
        let hash = sha256_hex(mfa_token);
        let lookup = hash.clone();
        let (user_id, expires_at) = self
            .db
            .run(move |conn| db::mfa::challenge(conn, &lookup))
            .await?
            .ok_or(AuthError::InvalidToken)?;
        if expires_at <= now() {
            return Err(AuthError::TokenExpired);
        }
        let user_id = UserId(user_id);
        let key = self.throttle_key(user_id, client)?;
        let Some(proof) = self.proof(user_id, code).await? else {
            return Err(self.wrong_code(&key, client, AuthError::InvalidCode));
        };
        // An error from the closure rolls the transaction back: a replayed code spends
        // nothing, and a token spent by a racing request gives its code back.
        let spent = self
            .db
            .write(move |tx| -> AuthResult<()> {
                let now = now();
                if !proof.consume(tx, user_id.0, now)? {
                    return Err(AuthError::InvalidCode);
                }
                if !db::mfa::use_challenge(tx, &hash, now)? {
                    return Err(AuthError::InvalidToken);
                }
                Ok(())
            })
            .await;
        match spent {
            Ok(()) => {}
            Err(error @ (AuthError::InvalidCode | AuthError::InvalidToken)) => {
                return Err(self.wrong_code(&key, client, error))
            }
            Err(other) => return Err(other),
        }
        self.auth.login_per_account.reset(&key);
        let user = self.auth.accounts.get(user_id).await?;
        if !user.is_active {
            return Err(AuthError::AccountDisabled);
        }
        self.auth.sign_in(user_id, client).await
    }
}
