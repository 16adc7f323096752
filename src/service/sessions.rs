//! The caller's sessions (list, revoke one) and the purge of what can no longer matter.

use crate::db::sessions::SessionRecord;
use crate::db::{self, now};

use super::auth::Auth;
use super::{AuthError, AuthResult, Principal};

impl Auth {
    /// The caller's live sessions, newest first.
    pub async fn sessions(&self, principal: &Principal) -> AuthResult<Vec<SessionRecord>> {
        let user_id = principal.id();
        Ok(self
            .db
            .run(move |conn| db::sessions::live_for_user(conn, user_id.0, now()))
            .await?)
    }

    /// Revokes one of the caller's sessions; someone else's is `NotFound`.
    pub async fn revoke_session(&self, principal: &Principal, session_id: i64) -> AuthResult<()> {
        let user_id = principal.id();
        let revoked = self
            .db
            .write(move |tx| -> AuthResult<bool> {
                let owned = db::sessions::by_id(tx, session_id)?
                    .is_some_and(|s| s.user_id == user_id.0 && s.is_live(now()));
                Ok(owned && db::sessions::revoke(tx, session_id, now())?)
            })
            .await?;
        self.caches.sessions.invalidate(&session_id);
        if revoked {
            Ok(())
        } else {
            Err(AuthError::NotFound)
        }
    }

    /// Deletes blacklist entries, refresh tokens and sessions that can no longer matter.
    pub async fn purge_expired(&self) -> AuthResult<usize> {
        let grace = 24 * 3600;
        self.db
            .write(move |tx| -> AuthResult<usize> {
                let now = now();
                Ok(db::revoked::purge(tx, now - 60)?
                    + db::mfa::purge_challenges(tx, now - 60)?
                    + db::sessions::purge(tx, now, now - grace)?
                    + db::api_tokens::purge(tx, now - 30 * grace)?)
            })
            .await
    }
}
