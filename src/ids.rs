//! Identifiers that cross layers as parsed types, never as bare strings or numbers.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A blob's id: the SHA-256 of its content as 64 lower-case hex digits. Only a value of
/// this type becomes a path in the blob store, so no user-chosen text can reach the disk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobId(String);

impl BlobId {
    /// `None` unless `text` is exactly 64 lower-case hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(text.to_owned()))
    }

    /// The id of content whose SHA-256 digest is `digest`.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        Self(crate::secret::hex(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BlobId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl ToSql for BlobId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0.as_bytes())))
    }
}

impl FromSql for BlobId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Self::parse(text).ok_or_else(|| FromSqlError::Other("not a blob id".into()))
    }
}

/// A user's id (`users.id`). A distinct type from [`EntryId`], so a service call cannot
/// take one for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// A file's or folder's id (`entries.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl EntryId {
    /// The raw id of an optional folder (None: the root), as the db layer takes it.
    pub fn raw(parent: Option<EntryId>) -> Option<i64> {
        parent.map(|id| id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_lower_case_hex_digits_are_a_blob_id() {
        let good = "ab".repeat(32);
        assert_eq!(BlobId::parse(&good).map(|b| b.to_string()), Some(good));
        for bad in [
            "",
            "../../etc/passwd",
            &"AB".repeat(32),
            &"ab".repeat(31),
            &"g".repeat(64),
        ] {
            assert_eq!(BlobId::parse(bad), None, "{bad}");
        }
        assert_eq!(BlobId::from_digest(&[0xff; 32]).as_str(), "f".repeat(64));
    }

    #[test]
    fn row_ids_print_as_their_integer() {
        assert_eq!(format!("{}/{}", UserId(7), EntryId(-3)), "7/-3");
        assert_eq!(EntryId::raw(Some(EntryId(5))), Some(5));
        assert_eq!(EntryId::raw(None), None);
    }
}
