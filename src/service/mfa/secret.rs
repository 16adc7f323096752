//! TOTP secrets: made, sealed at rest under a key derived from the server secret, and
//! turned into codes (RFC 6238: SHA-1, 6 digits, 30-s steps) by `totp-rs`.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::secret::{constant_time_eq, ServerSecret};
use crate::service::AuthError;

/// Seconds per TOTP step.
pub const STEP_S: i64 = 30;
/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Hoard";
const SECRET_BYTES: usize = 20;
const NONCE_BYTES: usize = 24;

/// Seals and opens TOTP secrets (XChaCha20-Poly1305, a random nonce per seal, stored first).
pub struct Sealer(XChaCha20Poly1305);

impl Sealer {
    pub fn new(secret: &ServerSecret) -> Self {
        let key = secret.derive("hoard totp secrets");
        Self(XChaCha20Poly1305::new(&key.into()))
    }

    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, AuthError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(&XNonce::from(nonce), plain)
            .map_err(|_| AuthError::Internal("sealing a TOTP secret failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The secret, or an internal error when it was sealed under another server secret.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, AuthError> {
        let opened = sealed
            .split_first_chunk::<NONCE_BYTES>()
            .and_then(|(nonce, body)| self.0.decrypt(&XNonce::from(*nonce), body).ok());
        opened.ok_or_else(|| {
            AuthError::Internal(
                "a TOTP secret does not open: was the server secret changed? \
                 (an admin can reset the account's two-step sign-in)"
                    .into(),
            )
        })
    }
}

/// 160 random bits, the size RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

fn totp(secret: &[u8], account: &str) -> Result<TOTP, AuthError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_S as u64,
        secret.to_vec(),
        Some(ISSUER.into()),
        account.into(),
    )
    .map_err(|e| AuthError::Internal(format!("totp: {e}")))
}

/// The `otpauth://totp/…` URL an authenticator app scans.
pub fn otpauth_url(secret: &[u8], account: &str) -> Result<String, AuthError> {
    Ok(totp(secret, account)?.get_url())
}

/// The step `code` belongs to, within one step of `now` either way, if it is right.
pub fn matching_step(secret: &[u8], code: &str, now: i64) -> Result<Option<i64>, AuthError> {
    let totp = totp(secret, "-")?;
    let current = now / STEP_S;
    let found = [current - 1, current, current + 1]
        .into_iter()
        .filter(|step| *step >= 0)
        .find(|step| {
            constant_time_eq(
                totp.generate((step * STEP_S) as u64).as_bytes(),
                code.as_bytes(),
            )
        });
    Ok(found)
}

/// Whether `code` has the shape of a TOTP code (six digits).
pub fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column (the last six digits of its eight).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(
                matching_step(secret, code, time).ok().flatten(),
                Some(time / 30)
            );
        }
        assert_eq!(matching_step(secret, "287083", 59).ok().flatten(), None);
        // One step of drift either way, not two.
        assert_eq!(
            matching_step(secret, "287082", 59 + 30).ok().flatten(),
            Some(1)
        );
        assert_eq!(
            matching_step(secret, "287082", 59 + 60).ok().flatten(),
            None
        );
    }

    #[test]
    fn sealed_secrets_open_only_under_their_key() {
        let sealer = Sealer::new(&ServerSecret::new(b"one".to_vec()));
        let sealed = sealer.seal(b"secret").unwrap_or_default();
        assert_ne!(&sealed[NONCE_BYTES..], b"secret");
        assert_eq!(sealer.open(&sealed).ok(), Some(b"secret".to_vec()));
        let other = Sealer::new(&ServerSecret::new(b"two".to_vec()));
        assert!(other.open(&sealed).is_err());
        assert!(sealer.open(b"short").is_err());
    }
}
