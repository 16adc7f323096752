//! File names and paths as SPEC §5 defines them, validated once at the edge.

use unicode_normalization::UnicodeNormalization;

use super::DriveError;

/// The longest name, in bytes of UTF-8: what file systems allow, so a mounted drive or a
/// downloaded zip can always hold it.
pub const MAX_NAME_BYTES: usize = 255;

/// A character no name may hold: `/`, `\`, a control character, or an invisible
/// formatting character (the OpenAPI document's name pattern is built from this).
pub fn forbidden_in_name(c: char) -> bool {
    c == '/' || c == '\\' || c.is_control() || is_invisible_format(c)
}

/// A valid entry name: 1–255 bytes of NFC UTF-8, no `/`, `\`, NUL or control characters,
/// not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileName(String);

impl FileName {
    pub fn parse(text: &str) -> Result<Self, DriveError> {
        let name: String = text.nfc().collect();
        let invalid = |why: &str| DriveError::InvalidName(format!("{why}: {:?}", truncate(text)));
        if name.is_empty() {
            return Err(invalid("a name cannot be empty"));
        }
        if name.len() > MAX_NAME_BYTES {
            return Err(invalid("a name is at most 255 bytes"));
        }
        if name == "." || name == ".." {
            return Err(invalid("`.` and `..` are not names"));
        }
        if name.chars().any(forbidden_in_name) {
            return Err(invalid(
                "a name cannot hold `/`, `\\`, control or invisible formatting characters",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `name (n).ext` — the auto-rename candidate number `n`.
    pub fn numbered(&self, n: u32) -> Result<Self, DriveError> {
        let (stem, ext) = match split_extension(&self.0) {
            // An extension too long to keep beside ` (n)`: number the whole name, so the
            // loop below always ends (the suffix alone is at most 13 bytes).
            (_, ext) if ext.len() + 13 > 255 => (self.0.as_str(), ""),
            parts => parts,
        };
        let mut stem = stem.to_owned();
        let suffix = format!(" ({n}){ext}");
        while stem.len() + suffix.len() > 255 {
            stem.pop();
        }
        Self::parse(&format!("{stem}{suffix}"))
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `a.tar.gz` into (`a.tar`, `.gz`); a leading dot (`.bashrc`) is not an extension.
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(0) | None => (name, ""),
        Some(dot) => name.split_at(dot),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Direction overrides and zero-width characters: they make a name display as another
/// (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`) or two names look identical.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A `by-path` path: the leading `/` is optional; empty segments, `.` and `..` are invalid.
pub fn parse_path(text: &str) -> Result<Vec<FileName>, DriveError> {
    let trimmed = text.strip_prefix('/').unwrap_or(text);
    if trimmed.is_empty() {
        return Err(DriveError::InvalidName("the path names no entry".into()));
    }
    trimmed.split('/').map(FileName::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn good_names_are_kept_in_nfc() -> TestResult {
        assert_eq!(FileName::parse("报告.pdf")?.as_str(), "报告.pdf");
        assert_eq!(
            FileName::parse("cafe\u{301}.txt")?.as_str(),
            "caf\u{e9}.txt"
        );
        assert_eq!(FileName::parse("🎉 party")?.as_str(), "🎉 party");
        assert!(FileName::parse(&"é".repeat(127)).is_ok(), "254 bytes");
        Ok(())
    }

    #[test]
    fn bad_names_are_invalid() -> TestResult {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a\\b",
            "nul\0",
            "tab\t",
            "line\n",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(
                matches!(FileName::parse(bad), Err(DriveError::InvalidName(_))),
                "{bad:?}"
            );
        }
        assert!(FileName::parse(&"a".repeat(256)).is_err());
        assert!(FileName::parse(&"é".repeat(128)).is_err(), "256 bytes");
        Ok(())
    }

    #[test]
    fn numbered_names_keep_the_extension() -> TestResult {
        let name = FileName::parse("photo.tar.gz")?;
        assert_eq!(name.numbered(1)?.as_str(), "photo.tar (1).gz");
        assert_eq!(
            FileName::parse(".bashrc")?.numbered(2)?.as_str(),
            ".bashrc (2)"
        );
        assert_eq!(FileName::parse("notes")?.numbered(3)?.as_str(), "notes (3)");
        let long = FileName::parse(&format!("{}.txt", "x".repeat(251)))?;
        assert_eq!(long.numbered(10)?.as_str().len(), 255);
        // An extension with no room for ` (n)` beside it: the whole name is numbered.
        let long_ext = FileName::parse(&format!("a.{}", "x".repeat(253)))?;
        let numbered = long_ext.numbered(u32::MAX)?;
        assert_eq!(numbered.as_str().len(), 255);
        assert!(numbered.as_str().ends_with(" (4294967295)"));
        Ok(())
    }

    #[test]
    fn paths_split_into_names() -> TestResult {
        let names: Vec<String> = parse_path("/a/b.txt")?
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["a", "b.txt"]);
        assert_eq!(parse_path("a")?.len(), 1);
        for bad in ["", "/", "//a", "a//b", "a/", "a/./b", "a/../b", "/.."] {
            assert!(parse_path(bad).is_err(), "{bad:?}");
        }
        Ok(())
    }
}
