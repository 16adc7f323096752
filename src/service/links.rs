//! Signed file links: `?sig=&exp=` where `sig` is an HMAC-SHA256 over the file id and the
//! expiry, so a link opens one file's bytes until it expires, without other credentials.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AuthError;
use crate::ids::EntryId;
use crate::secret::ServerSecret;

/// Longest lifetime of a link (7 days).
pub const MAX_TTL_S: i64 = 604_800;
pub const DEFAULT_TTL_S: i64 = 3600;

pub struct LinkSigner {
    keyed: Hmac<Sha256>,
}

impl LinkSigner {
    /// Derives the link key from the instance secret, so links and JWTs never share a key.
    pub fn new(secret: &ServerSecret) -> Self {
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(&secret.derive("hoard signed links"))
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { keyed }
    }

    pub fn sign(&self, file_id: EntryId, expires_at: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(file_id, expires_at).finalize().into_bytes())
    }

    /// Checks a presented link: a bad or tampered signature is `InvalidToken`, a good one
    /// past its expiry `TokenExpired`. The comparison is constant-time.
    pub fn verify(
        &self,
        file_id: EntryId,
        expires_at: i64,
        sig: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        let presented = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| AuthError::InvalidToken)?;
        self.mac(file_id, expires_at)
            .verify_slice(&presented)
            .map_err(|_| AuthError::InvalidToken)?;
        if expires_at <= now {
            return Err(AuthError::TokenExpired);
        }
        Ok(())
    }

    fn mac(&self, file_id: EntryId, expires_at: i64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(format!("file:{file_id}:{expires_at}").as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_for_its_file_and_expiry_only() {
        let signer = LinkSigner::new(&ServerSecret::new(*b"0123456789abcdef0123456789abcdef"));
        let sig = signer.sign(EntryId(7), 1000);
        assert!(signer.verify(EntryId(7), 1000, &sig, 999).is_ok());
        assert!(matches!(
            signer.verify(EntryId(8), 1000, &sig, 999),
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            signer.verify(EntryId(7), 1001, &sig, 999),
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            signer.verify(EntryId(7), 1000, &sig, 1000),
            Err(AuthError::TokenExpired)
        ));
        assert!(matches!(
            signer.verify(EntryId(7), 1000, "!!", 999),
            Err(AuthError::InvalidToken)
        ));
        let other = LinkSigner::new(&ServerSecret::new(*b"fedcba9876543210fedcba9876543210"));
        assert!(matches!(
            other.verify(EntryId(7), 1000, &sig, 999),
            Err(AuthError::InvalidToken)
        ));
    }
}
