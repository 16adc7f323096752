//! Recovery codes: ten single-use codes of 12 characters (60 random bits), shown as
//! `xxxx-xxxx-xxxx`, stored as Argon2id hashes with their first four characters as a
//! lookup key, so checking one costs one verification, not ten.

use rand::Rng;

pub const COUNT: usize = 10;
const LEN: usize = 12;
const LOOKUP: usize = 4;
/// Crockford-like: no `i l o u`, so a code read aloud or copied by hand survives.
const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new code, as shown to the user.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let raw: String = (0..LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
}

/// The code as typed, without dashes or spaces and in lower case, if it can be one.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The lookup key of a normalized code.
pub fn lookup(code: &str) -> &str {
    &code[..LOOKUP]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_normalize_back() {
        let shown = generate();
        assert_eq!(shown.len(), LEN + 2);
        let code = normalize(&shown.to_uppercase()).unwrap_or_default();
        assert_eq!(code, shown.replace('-', ""));
        assert_eq!(lookup(&code), &shown[..4]);
        assert_eq!(normalize("too-short"), None);
        assert_eq!(normalize("iiii-iiii-iiii"), None);
    }
}
