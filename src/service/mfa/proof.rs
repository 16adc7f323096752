//! A code checked against an account: which TOTP step or recovery code it was. Nothing is
//! spent until `consume` runs in the transaction of what the code allows, so a code is
//! accepted once even when two requests race with it.

use rusqlite::Connection;

use super::{recovery, secret, Mfa};
use crate::db::mfa::TotpRecord;
use crate::db::{self, now, DbResult};
use crate::ids::UserId;
use crate::service::AuthResult;

#[derive(Debug, Clone, Copy)]
pub enum Proof {
    /// A TOTP code of this 30-s step.
    Step(i64),
    /// The recovery code with this row id.
    Recovery(i64),
}

impl Proof {
    /// Spends the code; false when it was spent already (a replay or a lost race).
    pub fn consume(self, conn: &Connection, user_id: i64, now: i64) -> DbResult<bool> {
        match self {
            Proof::Step(step) => db::mfa::use_step(conn, user_id, step),
            Proof::Recovery(id) => db::mfa::use_recovery_code(conn, id, now),
        }
    }
}

impl Mfa {
    /// A TOTP code or an unused recovery code of an account with two-step sign-in on.
    pub(super) async fn proof(&self, user_id: UserId, code: &str) -> AuthResult<Option<Proof>> {
        let code = code.trim();
        if secret::is_totp_code(code) {
            let totp = self
                .db
                .run(move |conn| db::mfa::totp(conn, user_id.0))
                .await?;
            return match totp.filter(|t| t.enabled) {
                Some(totp) => self.totp_proof(&totp, code),
                None => Ok(None),
            };
        }
        let Some(normal) = recovery::normalize(code) else {
            return Ok(None);
        };
        let lookup = recovery::lookup(&normal).to_owned();
        let candidates = self
            .db
            .run(move |conn| db::mfa::recovery_candidates(conn, user_id.0, &lookup))
            .await?;
        for candidate in candidates {
            if self
                .passwords
                .verify(&normal, Some(&candidate.hash))
                .await?
            {
                return Ok(Some(Proof::Recovery(candidate.id)));
            }
        }
        Ok(None)
    }

    /// A TOTP code of `totp`'s secret not older than its last accepted step.
    pub(super) fn totp_proof(&self, totp: &TotpRecord, code: &str) -> AuthResult<Option<Proof>> {
        let code = code.trim();
        if !secret::is_totp_code(code) {
            return Ok(None);
        }
        let secret = self.sealer.open(&totp.sealed_secret)?;
        let step = secret::matching_step(&secret, code, now())?;
        Ok(step.filter(|s| *s > totp.last_step).map(Proof::Step))
    }
}
