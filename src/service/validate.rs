//! Validated newtypes for account fields, parsed once at the edge of the service layer.

use super::AccountError;

/// 3–32 characters of `[A-Za-z0-9_.-]`; unique case-insensitively (enforced by the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// The shortest and longest username, in characters (all ASCII).
pub const USERNAME_CHARS: (usize, usize) = (3, 32);

/// A character a username may hold (the OpenAPI pattern is built from this).
pub fn username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl Username {
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let (min, max) = USERNAME_CHARS;
        if !(min..=max).contains(&text.len()) || !text.chars().all(username_char) {
            return Err(AccountError::field(
                "username",
                "3 to 32 characters: letters, digits, _ . -",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A syntactically valid address of at most 254 bytes, stored lower-cased so that it is
/// unique case-insensitively in every script, not only ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let text = text.trim();
        if text.len() > 254 || !email_address::EmailAddress::is_valid(text) {
            return Err(AccountError::field("email", "not a valid email address"));
        }
        Ok(Self(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest label (display name, API token name), in characters as sent.
pub const LABEL_MAX_CHARS: usize = 64;
/// The longest bio, in characters.
pub const BIO_MAX_CHARS: usize = 500;

/// A label: a display name or an API token's name. 1–64 characters as sent, no control
/// characters, not only white space; stored without surrounding white space. The rule
/// counts what was sent so that the OpenAPI document can state it exactly.
pub fn label(field: &str, text: &str) -> Result<String, AccountError> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || text.chars().count() > LABEL_MAX_CHARS
        || text.chars().any(char::is_control)
    {
        return Err(AccountError::field(
            field,
            "1 to 64 characters, not only spaces, no control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Display name: a [`label`].
pub fn display_name(text: &str) -> Result<String, AccountError> {
    label("display_name", text)
}

/// A control character a bio may not hold (line breaks and tabs are allowed).
pub fn forbidden_in_bio(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\r' && c != '\t'
}

/// Bio: at most 500 characters; line breaks allowed, other control characters not.
pub fn bio(text: &str) -> Result<String, AccountError> {
    if text.chars().count() > BIO_MAX_CHARS || text.chars().any(forbidden_in_bio) {
        return Err(AccountError::field(
            "bio",
            "at most 500 characters, no control characters but line breaks and tabs",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_spec_alphabet() {
        for good in ["abc", "alice_1", "a.b-c", &"x".repeat(32)] {
            assert!(Username::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"x".repeat(33),
            "ali ce",
            "alice\u{200b}",
            "ａｌｉｃｅ",
            "аlice",
            "a@b",
            "",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_checked_for_syntax() {
        assert_eq!(
            Email::parse(" a@example.com ").unwrap().as_str(),
            "a@example.com"
        );
        assert_eq!(
            Email::parse("ÉLODIE@Example.com").unwrap().as_str(),
            "élodie@example.com"
        );
        for bad in ["", "a", "a@", "@b.c", "a b@c.d"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_and_bios_are_bounded() {
        assert_eq!(display_name("  Alice  ").unwrap(), "Alice");
        assert!(display_name("").is_err());
        assert!(display_name(&"x".repeat(65)).is_err());
        // Counted as sent: 64 characters with the spaces around them is too long.
        assert!(display_name(&format!(" {} ", "x".repeat(63))).is_err());
        assert!(display_name("   ").is_err());
        assert!(display_name("a\u{0007}").is_err());
        assert!(bio(&"é".repeat(500)).is_ok());
        assert!(bio(&"é".repeat(501)).is_err());
    }
}
