//! Modification times (`modified_at`): the content's time as the client knows it, which
//! clients send (tus `mtime`, WebDAV `X-OC-Mtime` and `PROPPATCH`) and sync tools compare.
//! The bounds and the text form live here, so every door accepts the same values.

use super::{Drive, DriveError, DriveResult, Entry};
use crate::db::entries;
use crate::ids::{EntryId, UserId};

/// The latest modification time accepted: 9999-12-31T23:59:59Z, the last second an
/// RFC 3339 timestamp and an HTTP-date can both spell (the earliest is the epoch, 0).
pub const MAX_MTIME: i64 = 253_402_300_799;

/// `mtime` if it lies in `0..=MAX_MTIME`, else 422 `validation_failed` on `modified_at`.
pub fn check_mtime(mtime: i64) -> DriveResult<i64> {
    match (0..=MAX_MTIME).contains(&mtime) {
        true => Ok(mtime),
        false => Err(DriveError::Validation {
            field: "modified_at",
            problem: format!("must be unix seconds from 0 to {MAX_MTIME}"),
        }),
    }
}

/// Decimal unix seconds as clients send them: ASCII digits, optionally with a fraction
/// (`1700000000.25`, cut to whole seconds), at most 12 digits before the point; `None`
/// for anything else (signs, spaces, exponents, empty). The range is [`check_mtime`]'s.
pub fn parse_mtime(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || whole.len() > 12 {
        return None;
    }
    whole.parse().ok()
}

impl Drive {
    /// Sets an entry's `modified_at` (a WebDAV `PROPPATCH` of `getlastmodified`, a sync
    /// client's mtime). Another user's or a trashed entry is `NotFound`; `updated_at` stays
    /// (the entry's name, place and content are unchanged). The write moves the database
    /// generation and the owner's tree version, so cached records and listings go stale.
    pub async fn set_modified(
        &self,
        owner: UserId,
        id: EntryId,
        modified_at: i64,
    ) -> DriveResult<Entry> {
        let modified_at = check_mtime(modified_at)?;
        self.db
            .write(move |tx| -> DriveResult<Entry> {
                if !entries::set_modified(tx, owner.0, id.0, modified_at)? {
                    return Err(DriveError::NotFound);
                }
                let record = entries::live(tx, owner.0, id.0)?.ok_or(DriveError::NotFound)?;
                Ok(Entry {
                    path: entries::path_of(tx, id.0)?,
                    record,
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtimes_are_decimal_seconds_within_the_bounds() {
        assert_eq!(parse_mtime("0"), Some(0));
        assert_eq!(parse_mtime("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_mtime("1700000000.999"), Some(1_700_000_000));
        assert_eq!(parse_mtime("253402300799"), Some(MAX_MTIME));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1e9",
            "1.",
            ".5",
            "0x10",
            "1.2.3",
            "9999999999999",
        ] {
            assert_eq!(parse_mtime(bad), None, "{bad:?}");
        }
        assert!(check_mtime(0).is_ok() && check_mtime(MAX_MTIME).is_ok());
        assert!(check_mtime(-1).is_err() && check_mtime(MAX_MTIME + 1).is_err());
    }

    #[test]
    fn the_bound_is_the_last_second_of_year_9999() {
        let last = chrono::DateTime::from_timestamp(MAX_MTIME, 0).map(|t| t.to_rfc3339());
        assert_eq!(last.as_deref(), Some("9999-12-31T23:59:59+00:00"));
    }
}
