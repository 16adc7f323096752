//! Random secrets, the server's signing secret, and hex: the small helpers every layer
//! needs, depending on nothing of ours.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The instance's signing secret: the key of its JWTs, and the root the signed-link and
/// share-unlock keys are derived from. Its `Debug` shows none of it, so a struct holding it
/// can be logged.
pub struct ServerSecret(Vec<u8>);

impl ServerSecret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The key bytes, for the code that signs with them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// A 32-byte key for one purpose, derived from the secret and the purpose's `label`, so
    /// no two uses (JWTs, signed links, share unlocks, sealed TOTP secrets) share a key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(label.as_bytes());
        hasher.update([0]);
        hasher.update(&self.0);
        hasher.finalize().into()
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(***)")
    }
}

/// `n` random bytes from the OS-seeded CSPRNG, URL-safe base64 without padding.
pub fn random_secret(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `a` equals `b`, in a time that depends on their lengths only (secrets compared
/// with what a request presents).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hex sha256, for storing high-entropy secrets (API tokens) without keeping them.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hex_is_lower_case() {
        assert_ne!(random_secret(32), random_secret(32));
        assert_eq!(random_secret(32).len(), 43);
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_server_secret_never_shows_in_debug() {
        let secret = ServerSecret::new("s3cr3t-key-0123456789abcdef-XYZW");
        let shown = format!("{secret:?} {secret:#?}");
        assert_eq!(format!("{secret:?}"), "ServerSecret(***)");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("115"), "no byte values either: {shown}");
        assert_eq!(secret.expose(), b"s3cr3t-key-0123456789abcdef-XYZW");
    }
}
