//! Reference counts and usage totals: found from one snapshot, repaired by recounting
//! inside the write transaction.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{CheckError, Problem};
use crate::db::{self, Db, DbError};
use crate::ids::UserId;
use crate::store::BlobId;

pub(super) fn problems(db: &Db) -> Result<Vec<Problem>, CheckError> {
    let pooled = db.connection()?;
    // One read transaction: counters and rows from the same snapshot, whatever the server
    // commits meanwhile.
    let conn = pooled.unchecked_transaction().map_err(DbError::from)?;
    let actual: HashMap<BlobId, i64> = db::blobs::actual_refs(&conn)?.into_iter().collect();
    let mut problems = Vec::new();
    for (sha256, _, recorded) in db::blobs::all(&conn)? {
        let actual = actual.get(&sha256).copied().unwrap_or(0);
        if actual != recorded {
            problems.push(Problem::WrongRefs {
                sha256,
                recorded,
                actual,
            });
        }
    }
    for user in db::users::all(&conn)? {
        let actual = db::entries::owner_usage(&conn, user.id)?;
        if actual != user.storage_used {
            problems.push(Problem::WrongUsage {
                user_id: UserId(user.id),
                recorded: user.storage_used,
                actual,
            });
        }
    }
    Ok(problems)
}

/// Counters are recounted inside the write transaction: the values found earlier may be
/// stale by now if the server committed an upload or a delete in between.
pub(super) fn recount(db: &Db, problem: &Problem) -> Result<bool, CheckError> {
    let mut conn = db.connection()?;
    match problem {
        Problem::WrongRefs { sha256, .. } => {
            let tx = immediate(&mut conn)?;
            db::blobs::recount(&tx, sha256)?;
            tx.commit().map_err(DbError::from)?;
            Ok(true)
        }
        Problem::WrongUsage { user_id, .. } => {
            let tx = immediate(&mut conn)?;
            let actual = db::entries::owner_usage(&tx, user_id.0)?;
            db::users::set_usage(&tx, user_id.0, actual)?;
            tx.commit().map_err(DbError::from)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, CheckError> {
    Ok(conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(DbError::from)?)
}
