//! The `oidc_identities` and `oidc_logins` tables (single sign-on, SPEC §12).

use rusqlite::{named_params, params, Connection, OptionalExtension};

use super::DbResult;

/// A sign-in under way: what the callback needs to finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    pub state: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub next: String,
    pub expires_at: i64,
}

/// Records a sign-in under way; expired ones are dropped on the way.
pub fn insert_login(conn: &Connection, login: &PendingLogin, now: i64) -> DbResult<()> {
    conn.prepare_cached("DELETE FROM oidc_logins WHERE expires_at <= ?1")?
        .execute([now])?;
    conn.prepare_cached(
        "INSERT INTO oidc_logins (state, provider, nonce, pkce_verifier, redirect_uri, next,
                                  expires_at)
         VALUES (:state, :provider, :nonce, :verifier, :redirect_uri, :next, :expires_at)",
    )?
    .execute(named_params! {
        ":state": login.state, ":provider": login.provider, ":nonce": login.nonce,
        ":verifier": login.pkce_verifier, ":redirect_uri": login.redirect_uri,
        ":next": login.next, ":expires_at": login.expires_at,
    })?;
    Ok(())
}

/// Takes the sign-in of `state` out of the table: a state is good for one callback only.
/// An expired one is deleted and not returned.
pub fn take_login(conn: &Connection, state: &str, now: i64) -> DbResult<Option<PendingLogin>> {
    let login = conn
        .prepare_cached(
            "DELETE FROM oidc_logins WHERE state = ?1
             RETURNING state, provider, nonce, pkce_verifier, redirect_uri, next, expires_at",
        )?
        .query_row([state], |row| {
            Ok(PendingLogin {
                state: row.get(0)?,
                provider: row.get(1)?,
                nonce: row.get(2)?,
                pkce_verifier: row.get(3)?,
                redirect_uri: row.get(4)?,
                next: row.get(5)?,
                expires_at: row.get(6)?,
            })
        })
        .optional()?;
    Ok(login.filter(|login| login.expires_at > now))
}

/// The account an identity signs in to, if it is linked.
pub fn linked_user(conn: &Connection, issuer: &str, subject: &str) -> DbResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM oidc_identities WHERE issuer = ?1 AND subject = ?2")?
        .query_row([issuer, subject], |row| row.get(0))
        .optional()?)
}

/// Links an identity to an account.
pub fn link(
    conn: &Connection,
    issuer: &str,
    subject: &str,
    user_id: i64,
    provider: &str,
    now: i64,
) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO oidc_identities (issuer, subject, user_id, provider, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![issuer, subject, user_id, provider, now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn login(state: &str, expires_at: i64) -> PendingLogin {
        PendingLogin {
            state: state.into(),
            provider: "p".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            redirect_uri: "http://h/cb".into(),
            next: "/".into(),
            expires_at,
        }
    }

    #[test]
    fn a_state_is_taken_once_and_never_after_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("t.db")).unwrap();
        let conn = db.connection().unwrap();
        insert_login(&conn, &login("a", 100), 10).unwrap();
        insert_login(&conn, &login("b", 100), 10).unwrap();
        assert_eq!(take_login(&conn, "a", 50).unwrap(), Some(login("a", 100)));
        assert_eq!(take_login(&conn, "a", 50).unwrap(), None);
        assert_eq!(take_login(&conn, "b", 100).unwrap(), None);
        assert_eq!(take_login(&conn, "b", 50).unwrap(), None, "deleted");
    }
}
